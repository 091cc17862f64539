/**
 * The auth modes: the one place they are listed. AUTH_MODE picks one by
 * name (shared/config/common.ts validates it against this list); adding a
 * mode is a folder holding both ends of it (see contract.ts) and one line
 * here. A mode's ends load on first use, so reading this list loads no mode.
 */
import type { AuthModeDefinition } from './contract.js';
import { sessionMode } from './session/index.js';
import { tokenMode } from './token/index.js';

export const AUTH_MODES = {
  token: tokenMode,
  session: sessionMode,
} satisfies Record<string, AuthModeDefinition>;

export type AuthModeName = keyof typeof AUTH_MODES;

export const AUTH_MODE_NAMES = Object.keys(AUTH_MODES) as AuthModeName[];

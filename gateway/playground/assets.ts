/** Where the built playground lives; shared by the build script and the router (which must not load esbuild). */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PLAYGROUND_DIST = path.join(path.dirname(fileURLToPath(import.meta.url)), 'dist');

/** The files the page loads; the router refuses to serve a dist without them. */
export const PLAYGROUND_ENTRY_FILES = ['main.js', 'main.css'];

export function isPlaygroundBuilt(dir = PLAYGROUND_DIST): boolean {
  return PLAYGROUND_ENTRY_FILES.every((file) => fs.existsSync(path.join(dir, file)));
}

/**
 * Which of our sessions (session mode) or sign-ins (token mode) an OpenID
 * Connect provider's session and subject led to, in the shared store, so its
 * back-channel logout can end them from any replica. Both modes keep the
 * same index; only what they end differs.
 */
import type { SharedStore } from '../store/contract.js';
import type { ProviderSignIn } from './contract.js';

export async function indexProviderSignIn(store: SharedStore, origin: ProviderSignIn, member: string, expiresAt: number): Promise<void> {
  if (origin.sid) await store.signIns.add(`oidc-sid:${origin.sid}`, member, expiresAt);
  await store.signIns.add(`oidc-sub:${origin.sub}`, member, expiresAt);
}

/** What a back-channel logout ends: the provider session's, or — a logout token without `sid` — everything of the subject's. */
export function takeProviderSignIns(store: SharedStore, ref: { sid?: string; sub?: string }): Promise<string[]> {
  if (ref.sid) return store.signIns.take(`oidc-sid:${ref.sid}`);
  return ref.sub ? store.signIns.take(`oidc-sub:${ref.sub}`) : Promise.resolve([]);
}

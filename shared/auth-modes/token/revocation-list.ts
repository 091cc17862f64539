/**
 * Token mode's revocations, in memory: every access token and sign-in
 * (family) revoked before its end, as the shared store's revocation log
 * tells every replica (shared/store/). A request checks two map lookups and
 * reads nothing from the store; a revocation reaches the other replicas by
 * push (Redis) or within a poll interval (SQLite), and this replica at once.
 */
import type { Revocation, RevocationLog } from '../../store/contract.js';

const PRUNE_INTERVAL_MS = 60_000;

export class RevocationList {
  private readonly tokens = new Map<string, number>();
  private readonly families = new Map<string, number>();
  private readonly listeners: ((revocation: Revocation) => void)[] = [];
  private stopFollowing: (() => Promise<void>) | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly log: RevocationLog) {
    this.timer = setInterval(() => this.prune(), PRUNE_INTERVAL_MS);
    this.timer.unref();
  }

  /** Loads what is revoked now and follows what is revoked from now on. */
  async start(): Promise<void> {
    this.stopFollowing = await this.log.follow((revocation) => this.apply(revocation));
  }

  /** Whether the access token `jti`, or its sign-in `sid`, was revoked. */
  isRevoked(jti: string | undefined, sid: string | undefined): boolean {
    return (jti !== undefined && this.tokens.has(jti)) || (sid !== undefined && this.families.has(sid));
  }

  /** Revokes for every replica; throws SESSION_STORE_UNAVAILABLE if the store cannot record it. */
  async revoke(revocation: Revocation): Promise<void> {
    await this.log.add(revocation);
    this.apply(revocation);
  }

  /** Told of each revocation, this replica's and the others' (to drop what was cached for its subject). */
  onRevoked(listener: (revocation: Revocation) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.stopFollowing?.();
  }

  private apply(revocation: Revocation): void {
    const map = revocation.kind === 'token' ? this.tokens : this.families;
    const known = map.get(revocation.id);
    if (known !== undefined && known >= revocation.expiresAt) return;
    map.set(revocation.id, revocation.expiresAt);
    for (const listener of this.listeners) listener(revocation);
  }

  private prune(): void {
    const now = Date.now();
    for (const map of [this.tokens, this.families]) {
      for (const [id, expiresAt] of map) if (expiresAt <= now) map.delete(id);
    }
  }
}

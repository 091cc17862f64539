/** What a dependency answers when a process is asked whether it can serve (GET /readyz). */
export interface Readiness {
  ok: boolean;
  /** Why not, in one line (never a credential). */
  detail?: string;
}

export const READY: Readiness = Object.freeze({ ok: true });

/**
 * The deployment's @policy functions: the one place policies are defined.
 * The gateway and every subgraph build their registry from this list, so a
 * policy means the same on both sides. A schema naming a policy missing here
 * is denied (and logged once) by every process.
 */
import type { Policy } from '@fedgw/subgraph-kit/authorization';

/** Demo data: the users who work here (alice). */
const EMPLOYEES = new Set(['u1']);

export const POLICIES: Readonly<Record<string, Policy>> = {
  /** A logged-in user who is one of our employees: a rule about who, not about what scopes they hold. */
  employee: (identity) => identity?.kind === 'user' && EMPLOYEES.has(identity.id),
};

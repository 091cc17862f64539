/**
 * The authorization rules (@authenticated, @requiresScopes, @policy): read
 * from a schema, evaluated for a caller, and enforced around a subgraph's
 * resolvers. The gateway filters operations with the same rules.
 */
export * from './authorization/rules.js';
export * from './authorization/subgraph.js';

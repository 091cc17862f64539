// What the benchmark takes from Hive Gateway, resolved from this folder's own
// node_modules (see README.md). Plain JavaScript on purpose: `tsc` never
// follows it, so a clone type-checks before this folder is installed.
export { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
export { createInlineSigningKeyProvider, extractFromHeader, useJWT } from '@graphql-mesh/plugin-jwt-auth';

/**
 * What one request proof costs in isolation (variant (b), REQUEST_BINDING=on):
 * CPU per mint, as the gateway signs one per subgraph fetch, and per check,
 * as a subgraph verifies one per request (signature, digest of the body, the
 * credential hash, the seen id) — in this process, with a throwaway key and a
 * demo entity fetch's body, none of the load's other work around it. The
 * load comparison of (b) with (t) says the same with everything else in.
 */
import { createLocalJWKSet, exportJWK, generateKeyPair } from 'jose';
import { createRequestProofVerifier, mintRequestProof } from '@fedgw/subgraph-kit/request-proof';
import { mintIdentityToken } from '@fedgw/subgraph-kit/token';

export interface ProofCost {
  proofs: number;
  /** CPU ms (user + system) per proof signed, and per proof checked. */
  mintMs: number;
  verifyMs: number;
}

const ISSUER = 'http://gateway.bench';
const BODY = JSON.stringify({
  query: 'query($representations:[_Any!]!){_entities(representations:$representations){...on User{orders{id items{quantity product{__typename id}}}}}}',
  variables: { representations: [{ __typename: 'User', id: 'u1' }] },
});

export async function measureProofCost(proofs = 2000): Promise<ProofCost> {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const key = { kid: 'bench', privateKey: pair.privateKey };
  const keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'bench', alg: 'EdDSA' }] });
  const { token } = await mintIdentityToken(key, { issuer: ISSUER, audience: 'orders', identity: { kind: 'user', id: 'u1', scopes: [] }, ttlSeconds: 60 });
  const verify = createRequestProofVerifier({ keys, issuer: ISSUER, audience: 'orders' });
  const mint = () => mintRequestProof(key, { issuer: ISSUER, audience: 'orders', method: 'POST', path: '/graphql', body: BODY, credential: token });
  // Warm up both paths (JIT, the key import), then measure.
  for (let i = 0; i < 200; i++) await verify({ method: 'POST', path: '/graphql', body: BODY, headers: { authorization: `Bearer ${token}`, ...mint() } });
  const signed: Record<string, string>[] = [];
  const minting = process.cpuUsage();
  for (let i = 0; i < proofs; i++) signed.push(mint());
  const minted = process.cpuUsage(minting);
  const checking = process.cpuUsage();
  for (const proof of signed) await verify({ method: 'POST', path: '/graphql', body: BODY, headers: { authorization: `Bearer ${token}`, ...proof } });
  const checked = process.cpuUsage(checking);
  const perProof = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000 / proofs;
  return { proofs, mintMs: perProof(minted), verifyMs: perProof(checked) };
}

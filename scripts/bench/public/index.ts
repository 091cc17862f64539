/**
 * The public workload: the Guild's federation benchmark
 * (the-guild-org/graphql-gateways-benchmark, `federation-v1`), its four
 * subgraphs (./subgraphs.ts) and its heavy query, `TestQuery` from
 * `federation-v1/scenarios/k6.shared.js`, plus a small query on the same
 * subgraphs.
 *
 * Their expected response is not in this repository; its digest is. The
 * canonical form is `JSON.stringify(response.data)` of the parsed answer:
 * keys in the order a GraphQL response has them (the query's field order,
 * fixed by the spec), no whitespace. It is 87,590 bytes; its SHA-256 was
 * computed from the `expectedStructure` of k6.shared.js at their commit
 * 69cf178, and our gateway's answer hashes to the same.
 */
import { createHash } from 'node:crypto';

export { PUBLIC_SUBGRAPHS } from './subgraphs.js';

/** TestQuery, as their k6 scenario sends it (reformatted; the same document). */
export const TEST_QUERY = /* GraphQL */ `
fragment User on User { id username name }
fragment Review on Review { id body }
fragment Product on Product { inStock name price shippingEstimate upc weight }
query TestQuery {
  users {
    ...User
    reviews {
      ...Review
      product {
        ...Product
        reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } }
      }
    }
  }
  topProducts {
    ...Product
    reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } }
  }
}`;

/** The small query on the same subgraphs: one fetch to accounts. */
export const PUBLIC_ME_QUERY = '{ me { id username } }';

/** The digest of their expected response's `data`, in canonical form (see above). */
export const TEST_QUERY_EXPECTED = {
  sha256: '97a34b62795353fd418caa1f505daf2fb9d36aaa58fc04be374e3456f98af774',
  bytes: 87_590,
} as const;

/** The canonical form of a response's data: what the digest is taken of, and what every answer under load is compared with. */
export const canonicalData = (data: unknown): string => JSON.stringify(data);

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Whether canonical data is their expected response: the same length and the same SHA-256. */
export function isExpectedTestQueryAnswer(canonical: string): boolean {
  return Buffer.byteLength(canonical) === TEST_QUERY_EXPECTED.bytes && sha256(canonical) === TEST_QUERY_EXPECTED.sha256;
}

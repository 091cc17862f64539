/**
 * The data of the public workload: the Guild's federation benchmark
 * (github.com/the-guild-org/graphql-gateways-benchmark, `federation-v1`),
 * read off its four Rust subgraphs (`federation-v1/subgraphs/<name>/subgraph.rs`
 * at commit 69cf178) and written down here as plain records: six users,
 * nine products with their stock, eleven reviews. Nothing of that
 * repository is copied into this one; what it answers is checked against
 * the digest of its expected response (see ./index.ts).
 *
 * The review bodies are the usual placeholder passages (Cicero's "de
 * finibus", as lorem ipsum), cut where theirs are cut: the response bytes
 * depend on every character.
 */

export interface PublicUser {
  id: string;
  name: string;
  username: string;
  birthday: number;
}

export const USERS: readonly PublicUser[] = [
  ['1', 'Uri Goldshtein', 'urigo'],
  ['2', 'Dotan Simha', 'dotansimha'],
  ['3', 'Kamil Kisiela', 'kamilkisiela'],
  ['4', 'Arda Tanrikulu', 'ardatan'],
  ['5', 'Gil Gardosh', 'gilgardosh'],
  ['6', 'Laurin Quast', 'laurin'],
].map(([id, name, username]) => ({ id, name, username, birthday: 1234567890 }));

export interface PublicProduct {
  upc: string;
  name: string;
  price: number;
  weight: number;
}

export const PRODUCTS: readonly PublicProduct[] = (
  [
    ['1', 'Table', 899, 100],
    ['2', 'Couch', 1299, 1000],
    ['3', 'Glass', 15, 20],
    ['4', 'Chair', 499, 100],
    ['5', 'TV', 1299, 1000],
    ['6', 'Lamp', 6999, 300],
    ['7', 'Grill', 3999, 2000],
    ['8', 'Fridge', 100000, 6000],
    ['9', 'Sofa', 9999, 800],
  ] as const
).map(([upc, name, price, weight]) => ({ upc, name, price, weight }));

/** The inventory subgraph's own rows: stock by upc (it owns nothing else of a product). */
export const IN_STOCK: ReadonlyMap<string, boolean> = new Map(
  ([['1', true], ['2', false], ['3', false], ['4', false], ['5', true], ['6', true], ['7', true], ['8', false], ['9', true]] as const).map(([upc, inStock]) => [upc, inStock]),
);

const LOREM =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. ' +
  'Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. ' +
  'Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. ' +
  'Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.';
const SED_UT =
  'Sed ut perspiciatis unde omnis iste natus error sit voluptatem accusantium doloremque laudantium, totam rem aperiam, ' +
  'eaque ipsa quae ab illo inventore veritatis et quasi architecto beatae vitae dicta sunt explicabo. ' +
  'Nemo enim ipsam voluptatem quia voluptas sit aspernatur aut odit aut fugi';
const SED_QUIA =
  'sed quia consequuntur magni dolores eos qui ratione voluptatem sequi nesciunt. ' +
  'Neque porro quisquam est, qui dolorem ipsum quia dolor sit amet, consectetur, adipisci velit, ' +
  'sed quia non numquam eius modi tempora incidunt ut labore et dolore magnam aliquam quaerat voluptatem.';
const UT_ENIM = 'Ut enim ad minima veniam, quis nostrum exercitationem ullam corporis suscipit laboriosam, nisi ut aliquid ex ea commodi consequatur? Quis autem';
const AT_VERO =
  'At vero eos et accusamus et iusto odio dignissimos ducimus qui blanditiis praesentium voluptatum deleniti atque corrupti quos dolores ' +
  'et quas molestias excepturi sint occaecati cupiditate non provident, similique sunt in culpa qui officia deserunt mollitia animi, ' +
  'id est laborum et dolorum fuga. Et harum quidem rerum facilis est et expedita distinctio. Nam libero tempore, cum soluta nobis est ' +
  'eligendi optio cumque nihil impedit quo minus id quod maxime placeat facere possimus, omnis voluptas assumenda est, omnis dolor ' +
  'repellendus. Temporibus autem quibusdam et aut officiis debitis aut rerum necessitatibus saepe eveniet ut et voluptates repudiandae ' +
  'sint et molestiae non recusandae. Itaque earum rerum hic tenetur a sapiente delectus, ut aut reiciendis voluptatibus maiores alias ' +
  'consequatur aut perferendis doloribus asperiores repellat.';

export interface PublicReview {
  id: string;
  body: string;
  /** The product reviewed (its upc). */
  upc: string;
}

export const REVIEWS: readonly PublicReview[] = (
  [
    ['1', LOREM, '1'],
    ['2', SED_UT, '1'],
    ['3', SED_QUIA, '1'],
    ['4', UT_ENIM, '1'],
    ['5', LOREM, '2'],
    ['6', SED_UT, '2'],
    ['7', SED_QUIA, '2'],
    ['8', UT_ENIM, '2'],
    ['9', UT_ENIM, '3'],
    ['10', UT_ENIM, '4'],
    ['11', AT_VERO, '4'],
  ] as const
).map(([id, body, upc]) => ({ id, body, upc }));

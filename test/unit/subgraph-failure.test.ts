import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  errorFromAnswer,
  fieldPaths,
  jsonBody,
  MAX_ERRORS_PER_FETCH,
  SubgraphRefusedError,
  SubgraphUnavailableError,
  unavailableAfter,
} from '../../gateway/subgraph-failure.js';

const answer = (status: number, body: string, type = 'application/json') => new Response(body, { status, headers: { 'content-type': type } });

describe('fieldPaths', () => {
  it('a root fetch: each root field by its response name, __typename left out', () => {
    expect(fieldPaths(parse('{ __typename me { id } all: products { id } }'))).toEqual([['me'], ['all']]);
  });

  it("an entity fetch: each entity's fields, through inline and named fragments, for its own type", () => {
    const document = parse(`
      query($representations: [_Any!]!) {
        _entities(representations: $representations) {
          ... on Product { __typename reviews { body } }
          ...UserFields
        }
      }
      fragment UserFields on User { orders { id } name }
    `);
    const representations = [{ __typename: 'Product', id: 'p1' }, { __typename: 'User', id: 'u1' }, { __typename: 'Product', id: 'p2' }];
    expect(fieldPaths(document, representations)).toEqual([
      ['_entities', 0, 'reviews'],
      ['_entities', 1, 'orders'],
      ['_entities', 1, 'name'],
      ['_entities', 2, 'reviews'],
    ]);
  });

  it(`at most ${MAX_ERRORS_PER_FETCH} paths, however many entities`, () => {
    const document = parse('query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { reviews { body } } } }');
    const representations = Array.from({ length: 500 }, (_, i) => ({ __typename: 'Product', id: `p${i}` }));
    expect(fieldPaths(document, representations)).toHaveLength(MAX_ERRORS_PER_FETCH);
  });
});

describe('what counts as unavailable', () => {
  it('a 5xx, whatever its body', async () => {
    const error = await errorFromAnswer(answer(503, JSON.stringify({ errors: [{ message: 'x', extensions: { code: 'KEYS_UNAVAILABLE' } }] })));
    expect(error).toBeInstanceOf(SubgraphUnavailableError);
    expect((error as SubgraphUnavailableError).reason).toBe('status');
  });

  it('a 4xx without GraphQL errors; a 4xx with them is the subgraph refusing, its errors kept', async () => {
    expect(((await errorFromAnswer(answer(404, '<html>not found</html>', 'text/html'))) as SubgraphUnavailableError).reason).toBe('response');
    expect(((await errorFromAnswer(answer(400, '{"errors": []}'))) as SubgraphUnavailableError).reason).toBe('response');
    const refused = await errorFromAnswer(answer(401, JSON.stringify({ errors: [{ message: 'no', extensions: { code: 'TOKEN_INVALID' } }] })));
    expect(refused).toBeInstanceOf(SubgraphRefusedError);
    expect((refused as SubgraphRefusedError).errors[0].extensions?.code).toBe('TOKEN_INVALID');
  });

  it('a 2xx that is not a JSON object', async () => {
    for (const response of [answer(200, 'ok', 'text/plain'), answer(200, '{"data":'), answer(200, '[1]'), answer(200, 'null')]) {
      const error = await jsonBody(response).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SubgraphUnavailableError);
      expect((error as SubgraphUnavailableError).reason).toBe('response');
    }
    expect(await jsonBody(answer(200, '{"data":{"me":null}}', 'application/graphql-response+json; charset=utf-8'))).toEqual({ data: { me: null } });
  });

  it('no answer: a timeout, or a connection that failed', () => {
    expect(unavailableAfter(new DOMException('timed out', 'TimeoutError')).reason).toBe('timeout');
    expect(unavailableAfter(Object.assign(new TypeError('fetch failed'), { cause: { code: 'UND_ERR_HEADERS_TIMEOUT' } })).reason).toBe('timeout');
    expect(unavailableAfter(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })).reason).toBe('connection');
  });
});

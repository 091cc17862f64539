/**
 * shapeResponse: what the gateway fetched for a filtered operation, shaped
 * back into the client's operation, with null plus UNAUTHORIZED_FIELD_OR_TYPE
 * at the path of each removed field and graphql-js's null propagation.
 */
import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { TYPENAME_KEY, type FieldAccess } from '../../gateway/authorization/filter-operation.js';
import { shapeResponse } from '../../gateway/authorization/shape-response.js';

const UNAUTHORIZED = 'UNAUTHORIZED_FIELD_OR_TYPE';

const schema = buildSchema(/* GraphQL */ `
  interface Node {
    id: ID!
  }
  type User implements Node {
    id: ID!
    name: String!
    email: String!
    secret: String
  }
  type Product implements Node {
    id: ID!
    name: String!
  }
  union SearchResult = User | Product
  type Query {
    me: User
    node(id: ID!): Node
    search: [SearchResult!]!
    secretCount: Int
  }
`);

const denying =
  (...coordinates: string[]): FieldAccess =>
  (parentType, fieldName) =>
    !coordinates.includes(`${parentType}.${fieldName}`);

function shape(query: string, data: Record<string, unknown>, access: FieldAccess, operationName?: string) {
  const result = shapeResponse(schema, parse(query), operationName, undefined, data, access);
  return { data: result.data, errors: result.errors.map((error) => [error.extensions?.code, error.path]) };
}

describe('shapeResponse', () => {
  it('answers a removed field with null and UNAUTHORIZED_FIELD_OR_TYPE at its path', () => {
    const result = shape('{ me { id secret } }', { me: { id: 'u1' } }, denying('User.secret'));
    expect(result).toEqual({ data: { me: { id: 'u1', secret: null } }, errors: [[UNAUTHORIZED, ['me', 'secret']]] });
  });

  it('tells onWithheld the coordinate and response path of each field it answers null', () => {
    const withheld: [string, (string | number)[]][] = [];
    const data = { search: [{ [TYPENAME_KEY]: 'User', id: 'u1' }, { [TYPENAME_KEY]: 'User', id: 'u2' }] };
    shapeResponse(schema, parse('{ search { ... on User { id secret } } }'), undefined, undefined, data, denying('User.secret'), TYPENAME_KEY, (coordinate, path) =>
      withheld.push([coordinate, path]),
    );
    expect(withheld).toEqual([
      ['User.secret', ['search', 0, 'secret']],
      ['User.secret', ['search', 1, 'secret']],
    ]);
  });

  it('uses the response keys of aliased fields', () => {
    const result = shape('{ who: me { key: id hidden: secret } }', { who: { key: 'u1' } }, denying('User.secret'));
    expect(result).toEqual({ data: { who: { key: 'u1', hidden: null } }, errors: [[UNAUTHORIZED, ['who', 'hidden']]] });
  });

  it('answers a removed root field when nothing was fetched', () => {
    const result = shape('{ secretCount }', {}, denying('Query.secretCount'));
    expect(result).toEqual({ data: { secretCount: null }, errors: [[UNAUTHORIZED, ['secretCount']]] });
  });

  it('propagates the null of a removed non-null field to its nullable parent', () => {
    const result = shape('{ me { id email } }', { me: { id: 'u1' } }, denying('User.email'));
    expect(result).toEqual({ data: { me: null }, errors: [[UNAUTHORIZED, ['me', 'email']]] });
  });

  it('propagates the null up to data when every parent is non-null', () => {
    const result = shape('{ search { ... on User { email } } }', { search: [{ [TYPENAME_KEY]: 'User' }] }, denying('User.email'));
    expect(result).toEqual({ data: null, errors: [[UNAUTHORIZED, ['search', 0, 'email']]] });
  });

  it('returns only the unauthorized errors, not those execution raises on the fetched data', () => {
    // name is String!: the null the gateway fetched raises an error of its own, already reported by the gateway.
    // (secret comes first: graphql-js stops completing an object at its first non-null failure.)
    const result = shape('{ me { id secret name } }', { me: { id: 'u1', name: null } }, denying('User.secret'));
    expect(result.errors).toEqual([[UNAUTHORIZED, ['me', 'secret']]]);
    expect(result.data).toEqual({ me: null });
  });

  it(`resolves an interface through ${TYPENAME_KEY}`, () => {
    const result = shape(
      '{ node(id: "u1") { id ... on User { name secret } ... on Product { name } } }',
      { node: { id: 'u1', name: 'Ann', [TYPENAME_KEY]: 'User' } },
      denying('User.secret'),
    );
    expect(result).toEqual({ data: { node: { id: 'u1', name: 'Ann', secret: null } }, errors: [[UNAUTHORIZED, ['node', 'secret']]] });
  });

  it('resolves an abstract type through __typename when there is no TYPENAME_KEY', () => {
    // A Product: the User fragment does not apply, so its denied field is never resolved.
    const result = shape(
      '{ node(id: "p1") { id ... on User { secret } ... on Product { name } } }',
      { node: { __typename: 'Product', id: 'p1', name: 'Teapot' } },
      denying('User.secret'),
    );
    expect(result).toEqual({ data: { node: { id: 'p1', name: 'Teapot' } }, errors: [] });
  });

  it('resolves each member of a union list by its own type', () => {
    const result = shape(
      '{ search { ... on User { secret } ... on Product { name } } }',
      { search: [{ [TYPENAME_KEY]: 'User' }, { [TYPENAME_KEY]: 'Product', name: 'Teapot' }] },
      denying('User.secret'),
    );
    expect(result).toEqual({ data: { search: [{ secret: null }, { name: 'Teapot' }] }, errors: [[UNAUTHORIZED, ['search', 0, 'secret']]] });
  });

  it('answers __typename and introspection without the fetched data', () => {
    const result = shape('{ __typename __schema { queryType { name } } secretCount }', {}, denying('Query.secretCount'));
    expect(result).toEqual({
      data: { __typename: 'Query', __schema: { queryType: { name: 'Query' } }, secretCount: null },
      errors: [[UNAUTHORIZED, ['secretCount']]],
    });
  });

  it('shapes the operation named by operationName', () => {
    const query = 'query A { me { id } } query B { secretCount }';
    const result = shape(query, {}, denying('Query.secretCount'), 'B');
    expect(result).toEqual({ data: { secretCount: null }, errors: [[UNAUTHORIZED, ['secretCount']]] });
  });
});

describe('shapeResponse with another typename key', () => {
  it('resolves abstract types through the key filterOperation chose, leaving the client its own alias', () => {
    const key = `${TYPENAME_KEY}_1`;
    const query = `{ node(id: "u1") { ${TYPENAME_KEY}: id ... on User { name } } }`;
    const fetched = { node: { [TYPENAME_KEY]: 'u1', name: 'Alice', [key]: 'User' } };
    const result = shapeResponse(schema, parse(query), undefined, undefined, fetched, denying(), key);
    expect(result.data).toEqual({ node: { [TYPENAME_KEY]: 'u1', name: 'Alice' } });
    expect(result.errors).toEqual([]);
  });
});

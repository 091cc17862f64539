/**
 * filterOperation: the unauthorized fields of an operation (and of the
 * fragments it uses) are removed before planning; emptied selection sets ask
 * for __typename, abstract ones also for TYPENAME_KEY, and introspection is
 * never filtered.
 */
import { buildSchema, Kind, parse, print, validate, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { filterOperation, TYPENAME_KEY, type FieldAccess } from '../../gateway/authorization/filter-operation.js';

const schema = buildSchema(/* GraphQL */ `
  interface Node {
    id: ID!
  }
  type User implements Node {
    id: ID!
    name: String!
    secret: String
  }
  type Product implements Node {
    id: ID!
    name: String!
    cost: Float
  }
  union SearchResult = User | Product
  type Query {
    me: User
    node(id: ID!): Node
    search: [SearchResult!]!
    products: [Product!]!
    secretCount: Int
  }
`);

/** Denies exactly the listed "Type.field" coordinates, and records every question asked. */
function denying(...coordinates: string[]) {
  const asked: string[] = [];
  const access: FieldAccess = (parentType, fieldName) => {
    asked.push(`${parentType}.${fieldName}`);
    return !coordinates.includes(`${parentType}.${fieldName}`);
  };
  return { access, asked };
}

function filter(query: string, access: FieldAccess) {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION);
  const result = filterOperation(schema, operation, fragments, access);
  return { ...result, text: result.document ? print(result.document) : null, operation };
}

/** The canonical printing of a document, to compare with what filterOperation returns. */
const printed = (query: string) => print(parse(query));

describe('filterOperation', () => {
  it('leaves an operation alone when nothing is denied', () => {
    const result = filter('{ me { id name } products { id cost } }', denying().access);
    expect([result.removed, result.document]).toEqual([false, null]);
  });

  it('removes a denied field from a plain selection', () => {
    const result = filter('{ me { id secret name } }', denying('User.secret').access);
    expect(result.removed).toBe(true);
    expect(result.text).toBe(printed('{ me { id name } }'));
  });

  it('keeps aliases and arguments of the fields it keeps', () => {
    const result = filter('{ who: me { key: id secret } thing: node(id: "p1") { id } }', denying('User.secret').access);
    expect(result.text).toBe(printed(`{ who: me { key: id } thing: node(id: "p1") { id ${TYPENAME_KEY}: __typename } }`));
  });

  it('asks for __typename in a selection set it emptied, so the parent is still fetched', () => {
    const result = filter('{ me { secret } products { id } }', denying('User.secret').access);
    expect(result.text).toBe(printed('{ me { __typename } products { id } }'));
  });

  it('returns no document when nothing authorized is left', () => {
    const result = filter('{ secretCount }', denying('Query.secretCount').access);
    expect([result.removed, result.document]).toEqual([true, null]);
  });

  it('returns no document when only __typename is left at the root', () => {
    const result = filter('{ __typename secretCount }', denying('Query.secretCount').access);
    expect([result.removed, result.document]).toEqual([true, null]);
  });

  it('filters named fragments, and includes only the fragments the operation uses', () => {
    const result = filter(
      `{ me { ...A } }
       fragment A on User { id ...B }
       fragment B on User { name secret }
       fragment Unused on User { secret }`,
      denying('User.secret').access,
    );
    expect(result.text).toBe(
      printed(`{ me { ...A } }
               fragment A on User { id ...B }
               fragment B on User { name }`),
    );
  });

  it('asks for __typename in a named fragment it emptied', () => {
    const result = filter('{ me { id ...F } } fragment F on User { secret }', denying('User.secret').access);
    expect(result.text).toBe(printed('{ me { id ...F } } fragment F on User { __typename }'));
  });

  it('filters inline fragments, asking for __typename in one it emptied', () => {
    const result = filter('{ me { id ... on User { secret } } }', denying('User.secret').access);
    expect(result.text).toBe(printed('{ me { id ... on User { __typename } } }'));
  });

  it(`adds ${TYPENAME_KEY} to the selection sets of an interface`, () => {
    const result = filter('{ node(id: "u1") { id ... on User { name secret } } }', denying('User.secret').access);
    expect(result.text).toBe(printed(`{ node(id: "u1") { id ... on User { name } ${TYPENAME_KEY}: __typename } }`));
  });

  it(`adds ${TYPENAME_KEY} to the selection sets of a union`, () => {
    const result = filter('{ search { ... on User { secret } ... on Product { name } } }', denying('User.secret').access);
    expect(result.text).toBe(
      printed(`{ search { ... on User { __typename } ... on Product { name } ${TYPENAME_KEY}: __typename } }`),
    );
  });

  it(`adds ${TYPENAME_KEY} to a fragment defined on an abstract type`, () => {
    const result = filter('{ node(id: "u1") { ...N } me { secret } } fragment N on Node { id }', denying('User.secret').access);
    expect(result.text).toBe(
      printed(`{ node(id: "u1") { ...N ${TYPENAME_KEY}: __typename } me { __typename } }
               fragment N on Node { id ${TYPENAME_KEY}: __typename }`),
    );
  });

  it('never asks about or filters introspection fields', () => {
    const { access, asked } = denying('User.secret');
    const result = filter('{ __typename __schema { queryType { name } } me { __typename id secret } }', access);
    expect(result.text).toBe(printed('{ __typename __schema { queryType { name } } me { __typename id } }'));
    expect(asked.filter((coordinate) => coordinate.includes('__'))).toEqual([]);
    expect(asked).toContain('User.secret');
  });

  it('returns no document when only introspection is left', () => {
    const result = filter('{ __schema { queryType { name } } secretCount }', denying('Query.secretCount').access);
    expect([result.removed, result.document]).toEqual([true, null]);
  });

  it('does not modify the operation it is given', () => {
    const query = '{ me { id secret } }';
    const { operation } = filter(query, denying('User.secret').access);
    expect(print(operation)).toBe(printed(query));
  });

  it('asks with the parent type, field name and named return type', () => {
    const asked: [string, string, string][] = [];
    filter('{ products { cost } search { ... on User { id } } }', (parentType, fieldName, returnType) => {
      asked.push([parentType, fieldName, returnType]);
      return true;
    });
    expect(asked).toEqual([
      ['Query', 'products', 'Product'],
      ['Product', 'cost', 'Float'],
      ['Query', 'search', 'SearchResult'],
      ['User', 'id', 'ID'],
    ]);
  });
});

describe('a client alias that is the typename key', () => {
  it('gets the added __typename fields a key of their own, so the filtered document stays valid', () => {
    const op = parse(`{ node(id: "u1") { ${TYPENAME_KEY}: id } secretCount }`).definitions[0] as OperationDefinitionNode;
    const result = filterOperation(schema, op, [], denying('Query.secretCount').access);
    expect(result.typenameKey).not.toBe(TYPENAME_KEY);
    expect(validate(schema, result.document!)).toEqual([]);
    expect(print(result.document!)).toContain(`${result.typenameKey}: __typename`);
  });
});

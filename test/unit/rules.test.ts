/**
 * The shared authorization rules: reading @authenticated / @requiresScopes /
 * @policy from type definitions, which checks apply to a field, their
 * OR-of-ANDs evaluation, the per-request answer cache and the policy registry.
 */
import { parse } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import { allowed, createPolicyRegistry, fieldAccess, fieldChecks, readAuthorizationRules, unauthorizedError, UNAUTHORIZED_CODE, type Check, type Policy } from '@fedgw/subgraph-kit/authorization';
import type { Identity } from '@fedgw/subgraph-kit';

const user = (...scopes: string[]): Identity => ({ kind: 'user', id: 'u1', scopes });
const GATEWAY: Identity = { kind: 'gateway', id: 'http://gateway.test', scopes: ['admin'] };
const noPolicies = createPolicyRegistry({}, () => {});

const rulesOf = (sdl: string) => Object.fromEntries(readAuthorizationRules(parse(sdl)));

describe('readAuthorizationRules', () => {
  it('reads imported directives on fields, objects, interfaces, scalars and enums', () => {
    const rules = rulesOf(/* GraphQL */ `
      extend schema
        @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@authenticated", "@requiresScopes", "@policy"])
      type Query {
        me: String @authenticated
        users: [String!]! @requiresScopes(scopes: [["admin"], ["support", "read"]])
        staff: String @policy(policies: [["employee"]])
        open: String
      }
      type Secret @authenticated { code: String! @requiresScopes(scopes: [["vault"]]) }
      interface Audited @requiresScopes(scopes: [["audit"]]) { trail: String }
      scalar Money @policy(policies: [["finance"]])
      enum Level @authenticated { LOW HIGH }
      extend type Query { extra: String @authenticated }
    `);
    expect(rules).toEqual({
      'Query.me': [{ kind: 'authenticated' }],
      'Query.users': [{ kind: 'requiresScopes', anyOf: [['admin'], ['support', 'read']] }],
      'Query.staff': [{ kind: 'policy', anyOf: [['employee']] }],
      Secret: [{ kind: 'authenticated' }],
      'Secret.code': [{ kind: 'requiresScopes', anyOf: [['vault']] }],
      Audited: [{ kind: 'requiresScopes', anyOf: [['audit']] }],
      Money: [{ kind: 'policy', anyOf: [['finance']] }],
      Level: [{ kind: 'authenticated' }],
      'Query.extra': [{ kind: 'authenticated' }],
    });
  });

  it('reads directives imported under another name', () => {
    const rules = rulesOf(/* GraphQL */ `
      extend schema
        @link(url: "https://specs.apollo.dev/federation/v2.6", import: [{ name: "@authenticated", as: "@auth" }, { name: "@policy", as: "@allow" }])
      type Query { me: String @auth staff: String @allow(policies: [["employee"]]) }
    `);
    expect(rules).toEqual({ 'Query.me': [{ kind: 'authenticated' }], 'Query.staff': [{ kind: 'policy', anyOf: [['employee']] }] });
  });

  it('reads the un-imported @federation__ forms, and a renamed link prefix', () => {
    expect(
      rulesOf(`extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
               type Query { me: String @federation__authenticated }`),
    ).toEqual({ 'Query.me': [{ kind: 'authenticated' }] });
    expect(
      rulesOf(`extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", as: "fed")
               type Query { me: String @fed__requiresScopes(scopes: [["admin"]]) }`),
    ).toEqual({ 'Query.me': [{ kind: 'requiresScopes', anyOf: [['admin']] }] });
  });

  it("reads a supergraph's own spec links (`@authenticated` from authenticated/v0.1)", () => {
    const rules = rulesOf(/* GraphQL */ `
      schema
        @link(url: "https://specs.apollo.dev/link/v1.0")
        @link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)
        @link(url: "https://specs.apollo.dev/requiresScopes/v0.1", as: "scopes", for: SECURITY)
      { query: Query }
      type Query { me: String @authenticated users: [String] @scopes(scopes: [["admin"]]) }
    `);
    expect(rules).toEqual({ 'Query.me': [{ kind: 'authenticated' }], 'Query.users': [{ kind: 'requiresScopes', anyOf: [['admin']] }] });
  });

  it('ignores directives of the same name when no spec links them', () => {
    expect(rulesOf('directive @authenticated on FIELD_DEFINITION type Query { me: String @authenticated }')).toEqual({});
    expect(
      rulesOf(`extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
               type Query { me: String @authenticated }`),
    ).toEqual({});
  });

  it("coerces a scalar or flat list argument as GraphQL does for [[String]]", () => {
    const rules = rulesOf(/* GraphQL */ `
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@requiresScopes"])
      type Query { a: String @requiresScopes(scopes: "admin") b: String @requiresScopes(scopes: ["x", "y"]) }
    `);
    expect(rules).toEqual({
      'Query.a': [{ kind: 'requiresScopes', anyOf: [['admin']] }],
      'Query.b': [{ kind: 'requiresScopes', anyOf: [['x'], ['y']] }],
    });
  });
});

describe('fieldChecks', () => {
  const rules = new Map<string, Check[]>([
    ['User.email', [{ kind: 'requiresScopes', anyOf: [['pii']] }]],
    ['User', [{ kind: 'authenticated' }]],
    ['Money', [{ kind: 'policy', anyOf: [['finance']] }]],
  ]);

  it("combines the field's checks, its parent type's and its return type's, in that order", () => {
    expect(fieldChecks(rules, 'User', 'email', 'String')).toEqual([
      { kind: 'requiresScopes', anyOf: [['pii']] },
      { kind: 'authenticated' },
    ]);
    expect(fieldChecks(rules, 'Query', 'me', 'User')).toEqual([{ kind: 'authenticated' }]);
    expect(fieldChecks(rules, 'Order', 'total', 'Money')).toEqual([{ kind: 'policy', anyOf: [['finance']] }]);
  });

  it('is empty for a field no rule applies to', () => {
    expect(fieldChecks(rules, 'Order', 'id', 'ID')).toEqual([]);
  });
});

describe('allowed', () => {
  const scopes: Check = { kind: 'requiresScopes', anyOf: [['admin'], ['support', 'billing']] };

  it('reads requiresScopes as an OR of ANDs', () => {
    expect(allowed([scopes], user('admin'), noPolicies)).toBe(true);
    expect(allowed([scopes], user('support', 'billing'), noPolicies)).toBe(true);
    expect(allowed([scopes], user('support'), noPolicies)).toBe(false);
    expect(allowed([scopes], user(), noPolicies)).toBe(false);
    expect(allowed([scopes], null, noPolicies)).toBe(false);
  });

  it('reads policy as an OR of ANDs', () => {
    const policies = createPolicyRegistry({ yes: () => true, no: () => false }, () => {});
    const check = (anyOf: string[][]): Check[] => [{ kind: 'policy', anyOf }];
    expect(allowed(check([['no'], ['yes', 'yes']]), null, policies)).toBe(true);
    expect(allowed(check([['yes', 'no']]), null, policies)).toBe(false);
    expect(allowed(check([['no'], ['no', 'yes']]), null, policies)).toBe(false);
  });

  it('needs every check to hold', () => {
    const checks: Check[] = [{ kind: 'authenticated' }, { kind: 'requiresScopes', anyOf: [['admin']] }];
    expect(allowed(checks, user('admin'), noPolicies)).toBe(true);
    expect(allowed(checks, user(), noPolicies)).toBe(false);
  });

  it('allows a field without checks to anyone', () => {
    expect(allowed([], null, noPolicies)).toBe(true);
  });

  it("refuses @authenticated to the anonymous caller and to the gateway's own identity", () => {
    const authenticated: Check[] = [{ kind: 'authenticated' }];
    expect(allowed(authenticated, user(), noPolicies)).toBe(true);
    expect(allowed(authenticated, null, noPolicies)).toBe(false);
    expect(allowed(authenticated, GATEWAY, noPolicies)).toBe(false);
  });
});

describe('fieldAccess', () => {
  const rules = new Map<string, Check[]>([
    ['Query.staff', [{ kind: 'policy', anyOf: [['employee']] }]],
    ['Query.users', [{ kind: 'requiresScopes', anyOf: [['admin']] }]],
    ['Secret', [{ kind: 'authenticated' }]],
    ['Secret.code', [{ kind: 'requiresScopes', anyOf: [['vault']] }]],
  ]);

  it('answers each field once, however often it is asked', () => {
    const employee = vi.fn<Policy>(() => true);
    const access = fieldAccess(rules, createPolicyRegistry({ employee }, () => {}), user());
    for (let i = 0; i < 3; i++) expect(access('Query', 'staff', 'String')).toBe(true);
    expect(employee).toHaveBeenCalledTimes(1);
  });

  it('tells onDenied once per denied field, with the denying directive', () => {
    const onDenied = vi.fn();
    const access = fieldAccess(rules, noPolicies, null, onDenied);
    for (let i = 0; i < 3; i++) {
      expect(access('Query', 'users', '[String]')).toBe(false);
      expect(access('Query', 'open', 'String')).toBe(true);
    }
    expect(onDenied.mock.calls).toEqual([['requiresScopes', 'Query.users']]);
  });

  it('names the first failing check: the field rule before the type rule', () => {
    const onDenied = vi.fn();
    const access = fieldAccess(rules, noPolicies, null, onDenied);
    expect(access('Secret', 'code', 'String')).toBe(false);
    expect(onDenied.mock.calls).toEqual([['requiresScopes', 'Secret.code']]);
    // A logged-in user with the scope passes both.
    expect(fieldAccess(rules, noPolicies, user('vault'))('Secret', 'code', 'String')).toBe(true);
  });

  it('keeps each answer to its own caller', () => {
    expect(fieldAccess(rules, noPolicies, user('admin'))('Query', 'users', 'String')).toBe(true);
    expect(fieldAccess(rules, noPolicies, user())('Query', 'users', 'String')).toBe(false);
  });
});

describe('createPolicyRegistry', () => {
  it('asks the named policy about the identity', () => {
    const employee = vi.fn<Policy>((identity) => identity?.scopes.includes('staff') ?? false);
    const policies = createPolicyRegistry({ employee }, () => {});
    expect(policies.allows('employee', user('staff'))).toBe(true);
    expect(policies.allows('employee', user())).toBe(false);
    expect(employee).toHaveBeenCalledWith(user('staff'));
  });

  it('denies an unknown policy and warns once per name', () => {
    const warn = vi.fn();
    const policies = createPolicyRegistry({}, warn);
    expect(policies.allows('missing', user())).toBe(false);
    expect(policies.allows('missing', user())).toBe(false);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toContain('"missing"');
    policies.allows('other', user());
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('does not take inherited object properties for policies', () => {
    const warn = vi.fn();
    const policies = createPolicyRegistry({}, warn);
    expect(policies.allows('toString', user())).toBe(false);
    expect(policies.allows('constructor', user())).toBe(false);
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('denies when a policy throws, and warns once', () => {
    const warn = vi.fn();
    const policies = createPolicyRegistry(
      {
        broken: () => {
          throw new Error('boom');
        },
      },
      warn,
    );
    expect(policies.allows('broken', user())).toBe(false);
    expect(policies.allows('broken', user())).toBe(false);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toContain('boom');
  });

  it('allows only on a literal true', () => {
    const policies = createPolicyRegistry({ truthy: (() => 1) as unknown as Policy }, () => {});
    expect(policies.allows('truthy', user())).toBe(false);
  });
});

describe('unauthorizedError', () => {
  it('carries the UNAUTHORIZED_FIELD_OR_TYPE code', () => {
    expect(UNAUTHORIZED_CODE).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
    expect(unauthorizedError().extensions.code).toBe(UNAUTHORIZED_CODE);
  });
});

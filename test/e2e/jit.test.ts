// Compiled execution (graphql/jit-plugin.ts): a query the gateway sees again runs compiled by
// graphql-jit, and must answer exactly what graphql-js answers — data, nulls, errors and their
// codes — while a query seen once, a mutation and variables graphql-js refuses stay on graphql-js.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plugin } from 'graphql-yoga';
import { createLogger } from '../../src/logger.js';
import { providersFromEnv } from '../../src/providers/registry.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startGateway, type Gateway } from '../../src/server.js';
import { postGraphQL } from '../helpers/harness.js';

let sandbox: Sandbox;
let compiled: Gateway;
let interpreted: Gateway;
/** How each execution ran, seen from a plugin after the gateway's own: graphql-jit's results carry `stringify`. */
const runs: ('compiled' | 'graphql-js')[] = [];
const observer: Plugin = {
  onExecute: () => ({
    onExecuteDone: ({ result }) => void runs.push(typeof (result as { stringify?: unknown }).stringify === 'function' ? 'compiled' : 'graphql-js'),
  }),
};

beforeAll(async () => {
  sandbox = await startSandbox(42, { count: 30 });
  const providers = providersFromEnv(sandbox.env);
  const logger = createLogger({ write: () => {} });
  compiled = await startGateway({ providers, logger, port: 0, plugins: [observer] });
  interpreted = await startGateway({ providers, logger, port: 0, jit: false, plugins: [observer] });
});
afterAll(async () => {
  await compiled?.close();
  await interpreted?.close();
  await sandbox?.close();
});

const QUERIES: [string, string, Record<string, unknown>?][] = [
  [
    'a merged page with evidence, nested objects, lists and enums',
    `query Page($n: Int!) { disputes(first: $n) { edges { cursor node { id provider providerDisputeId amount currency status reason created closable charge
       evidence { customerName productDescription receipt { id } shippingDocumentation { id } } evidenceDetails { dueBy hasEvidence pastDue submissionCount }
       balanceTransactions { id amount } paymentMethodDetails { type card { brand networkReasonCode } } } } pageInfo { hasNextPage endCursor } } }`,
    { n: 40 },
  ],
  [
    'fragments on an interface, aliases and __typename',
    `query N($id: ID!) { a: node(id: $id) { __typename id ... on Dispute { provider amount } } b: node(id: "bm90LWFuLWlk") { id } providers { provider displayName capabilities { list close } } }`,
  ],
  ['an unknown dispute: a typed error beside data', `{ dispute(id: "RGlzcHV0ZTpTVFJJUEU6ZGVmYXVsdDpkdV9ub25l") { id status } }`],
];

describe('compiled execution of repeated queries', () => {
  it.each(QUERIES)('%s: the same answer compiled as from graphql-js, compiled from the second run on', async (_name, query, vars) => {
    const first = await postGraphQL(interpreted.url, `{ disputes(first: 1) { nodes { id } } }`);
    const variables = vars ?? { id: first.body.data.disputes.nodes[0].id };
    runs.length = 0;
    // The first run is graphql-js's answer (cursors are signed per process: compared within one gateway).
    const expected = await postGraphQL(compiled.url, query, variables);
    expect(expected.status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const got = await postGraphQL(compiled.url, query, variables);
      expect(got.status).toBe(expected.status);
      expect(got.text).toBe(expected.text);
    }
    expect(runs).toEqual(['graphql-js', 'compiled', 'compiled']);
    // And the same, cursors aside, as a gateway that never compiles.
    const unsigned = (text: string) => text.replace(/"(cursor|endCursor)":"[^"]*"/g, '"$1":"…"');
    expect(unsigned((await postGraphQL(interpreted.url, query, variables)).text)).toBe(unsigned(expected.text));
  });

  it('compiles nothing with jit off (GRAPHQL_JIT=off)', async () => {
    const query = '{ disputes(first: 3) { nodes { id status } } }';
    runs.length = 0;
    for (let i = 0; i < 3; i++) expect((await postGraphQL(interpreted.url, query)).status).toBe(200);
    expect(runs).toEqual(['graphql-js', 'graphql-js', 'graphql-js']);
  });

  it('keeps graphql-js, and its 400, for variables it refuses, however often the query is seen', async () => {
    const query = `query Since($t: DateTime) { disputes(first: 2, filter: { created: { gte: $t } }) { nodes { id } } }`;
    for (let i = 0; i < 2; i++) expect((await postGraphQL(compiled.url, query, { t: '2026-01-01T00:00:00Z' })).status).toBe(200);
    runs.length = 0;
    for (let i = 0; i < 2; i++) {
      const bad = await postGraphQL(compiled.url, query, { t: 'yesterday' });
      expect(bad.status).toBe(400);
      expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect(runs).toEqual(['graphql-js', 'graphql-js']);
  });

  it('never compiles a mutation', async () => {
    const query = `mutation($id: ID!) { closeDispute(input: { id: $id, idempotencyKey: "jit-never" }) { userErrors { code } } }`;
    runs.length = 0;
    for (let i = 0; i < 2; i++) await postGraphQL(compiled.url, query, { id: 'RGlzcHV0ZTpTVFJJUEU6ZGVmYXVsdDpkdV9ub25l' });
    expect(runs).toEqual(['graphql-js', 'graphql-js']);
  });
});

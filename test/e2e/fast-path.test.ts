// The direct path for plain POSTs must answer exactly what yoga answers: the same requests go to a
// gateway with it and one without it, and status, content type and body must match.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { providersFromEnv } from '../../src/providers/registry.js';
import { seedStripeDisputes } from '../../src/providers/stripe/fake/seed.js';
import { StripeFake } from '../../src/providers/stripe/fake/server.js';
import { encodeDisputeId } from '../../src/domain/ids.js';
import { startGateway, type Gateway } from '../../src/server.js';

let stripe: StripeFake;
let fast: Gateway;
let yogaOnly: Gateway;

beforeAll(async () => {
  stripe = new StripeFake('sk_test_fastpath000000000000000', seedStripeDisputes(3, 40));
  const url = await stripe.start();
  const providers = providersFromEnv({ STRIPE_SECRET_KEY: stripe.secretKey, STRIPE_API_BASE: url, STRIPE_RATE_LIMIT: '0' });
  const logger = createLogger({ write: () => {} });
  fast = await startGateway({ providers, logger, limits: { maxCost: 5_000 } });
  yogaOnly = await startGateway({ providers, logger, limits: { maxCost: 5_000 }, fastPath: false });
});
afterAll(async () => {
  await fast.close();
  await yogaOnly.close();
  await stripe.close();
});

const id = () => encodeDisputeId({ provider: 'STRIPE', account: 'default', providerDisputeId: stripe.ordered()[5]! });
const J = 'application/json';
const R = 'application/graphql-response+json';

// [name, accept, content-type, body]
const cases: [string, string | undefined, string, () => string][] = [
  ['a query', undefined, J, () => JSON.stringify({ query: '{ disputes(first: 3) { nodes { id amount } } }' })],
  ['a query, graphql-response', R, J, () => JSON.stringify({ query: '{ disputes(first: 3) { nodes { id amount } } }' })],
  ['variables and an operation name', J, J, () => JSON.stringify({ query: 'query A($id: ID!) { dispute(id: $id) { id status } } query B { __typename }', variables: { id: id() }, operationName: 'A' })],
  ['a field error', R, J, () => JSON.stringify({ query: '{ dispute(id: "bad!") { id } }' })],
  ['a syntax error', R, J, () => JSON.stringify({ query: '{' })],
  ['a syntax error, json', J, J, () => JSON.stringify({ query: '{' })],
  ['a validation error', R, J, () => JSON.stringify({ query: '{ nope }' })],
  ['a variable that does not coerce', R, J, () => JSON.stringify({ query: 'query($n: Int) { disputes(first: $n) { nodes { id } } }', variables: { n: 'ten' } })],
  ['a missing operation name', R, J, () => JSON.stringify({ query: 'query A { __typename } query B { __typename }' })],
  ['over the cost limit', J, J, () => JSON.stringify({ query: `{ ${Array.from({ length: 8 }, (_, i) => `a${i}: disputes(first: 100) { nodes { id amount } }`).join(' ')} }` })],
  ['a mutation with a user error', J, J, () => JSON.stringify({ query: 'mutation { closeDispute(input: { id: "nope!" }) { userErrors { code field } } }' })],
  ['extensions', J, J, () => JSON.stringify({ query: '{ __typename }', extensions: { x: 1 } })],
  ['a batch', J, J, () => JSON.stringify([{ query: '{ __typename }' }, { query: '{ providers { provider } }' }])],
  ['not JSON', J, J, () => '{"query": '],
  ['utf-8 charset', J, 'application/json; charset=utf-8', () => JSON.stringify({ query: '{ __typename }' })],
  ['any accept', '*/*', J, () => JSON.stringify({ query: '{ __typename }' })],
  ['null variables', J, J, () => JSON.stringify({ query: '{ __typename }', variables: null, operationName: null })],
];

describe('direct path for plain POSTs', () => {
  it.each(cases)('answers %s exactly as yoga does', async (_, accept, contentType, body) => {
    const send = async (g: Gateway) => {
      const res = await fetch(g.url, { method: 'POST', headers: { 'content-type': contentType, ...(accept && { accept }) }, body: body() });
      return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
    };
    const [a, b] = [await send(fast), await send(yogaOnly)];
    expect(a).toEqual(b);
  });
});

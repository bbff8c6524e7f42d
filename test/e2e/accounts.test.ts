// Several accounts per provider: two Stripe accounts from PROVIDERS_FILE (one a Connect account),
// each its own fake, beside the single-account variables, paged together in the merged connection.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyStore, sha256 } from '../../src/auth/keys.js';
import { encodeDisputeId } from '../../src/domain/ids.js';
import { createLogger } from '../../src/logger.js';
import { ConfigError } from '../../src/providers/env.js';
import { configuredProviders, secretsOf } from '../../src/providers/registry.js';
import { seedStripeDisputes } from '../../src/sandbox/stripe-shape/seed.js';
import { StripeFake } from '../../src/sandbox/stripe-shape/server.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startGateway, type Gateway } from '../../src/server.js';
import { postWebhook } from '../helpers/events.js';

const EU_KEY = 'sk_test_accountsEu000000000000000';
const US_KEY = 'sk_test_accountsUs000000000000000';
const EU_ONLY = 'gk_accounts_eu_only_3f9a1c5e8b2046';
const ALL = 'gk_accounts_all_7d3f9a1c5e8b2046aa';
const EU_WEBHOOK_SECRET = 'whsec_accountsEuWebhook0000000000';

let eu: StripeFake;
let us: StripeFake;
let sandbox: Sandbox;
let gateway: Gateway;
let dir: string;
const logs: string[] = [];

function providersFile(yaml: string, env: Record<string, string>) {
  const file = join(dir, `providers-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  return configuredProviders({ ...env, PROVIDERS_FILE: file });
}

const FILE = `
accounts:
  - provider: stripe
    account: eu
    secretKey: "\${STRIPE_EU_KEY}"
    apiBase: "\${EU_BASE}"
    rateLimit: 0
    webhookSecret: "\${EU_WEBHOOK_SECRET}"
  - provider: stripe
    account: us
    secretKey: "\${STRIPE_US_KEY}"
    apiBase: "\${US_BASE}"
    stripeAccount: acct_1UsConnected
    rateLimit: 0
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dg-accounts-'));
  eu = new StripeFake(EU_KEY, seedStripeDisputes(101, 45));
  us = new StripeFake(US_KEY, seedStripeDisputes(202, 55));
  sandbox = await startSandbox(5, { only: ['AFTERPAY'], count: 20 });
  const env = { ...sandbox.env, STRIPE_EU_KEY: EU_KEY, STRIPE_US_KEY: US_KEY, EU_BASE: await eu.start(), US_BASE: await us.start(), EU_WEBHOOK_SECRET };
  const providers = providersFile(FILE, env);
  const keys = KeyStore.fromEnv(
    {
      GATEWAY_API_KEYS: JSON.stringify([
        {
          name: 'eu-only',
          key: `sha256:${sha256(EU_ONLY).toString('hex')}`,
          scopes: ['disputes:read', 'disputes:write'],
          providers: ['STRIPE'],
          accounts: ['STRIPE:eu'],
        },
        { name: 'all', key: `sha256:${sha256(ALL).toString('hex')}`, scopes: ['disputes:read', 'disputes:write'] },
      ]),
    },
    { perSecond: 1000, burst: 1000 },
  )!;
  gateway = await startGateway({
    providers,
    logger: createLogger({ level: 'debug', secrets: secretsOf(providers), write: (l) => logs.push(l) }),
    auth: { mode: 'keys', store: keys },
  });
});

afterAll(async () => {
  await gateway.close();
  await eu.close();
  await us.close();
  await sandbox.close();
  for (const l of logs) for (const k of [EU_KEY, US_KEY, EU_WEBHOOK_SECRET]) expect(l).not.toContain(k);
});

async function gql(key: string, query: string, variables?: Record<string, unknown>) {
  const res = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as any;
}

interface Node {
  provider: string;
  providerAccount: string;
  providerDisputeId: string;
  created: string;
}

const PAGE = `query($first: Int, $after: String, $last: Int, $before: String, $filter: DisputeFilter) {
  disputes(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
    nodes { id provider providerAccount providerDisputeId created }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

const RANK = ['STRIPE', 'WOOSHPAY', 'FLEX', 'AFTERPAY'];
/** The documented order: created desc, then provider, then account, then each list's own order. */
function expectedOrder(): string[] {
  const items: { created: number; provider: string; account: string; seq: number; id: string }[] = [];
  eu.all().forEach((d, seq) => items.push({ created: d.created * 1000, provider: 'STRIPE', account: 'eu', seq, id: d.id }));
  us.all().forEach((d, seq) => items.push({ created: d.created * 1000, provider: 'STRIPE', account: 'us', seq, id: d.id }));
  return items
    .sort((a, b) => b.created - a.created || RANK.indexOf(a.provider) - RANK.indexOf(b.provider) || a.account.localeCompare(b.account) || a.seq - b.seq)
    .map((i) => `${i.account}/${i.id}`);
}

describe('several Stripe accounts', () => {
  it('lists one entry per account in Query.providers', async () => {
    const res = await gql(ALL, '{ providers { provider account } }');
    expect(res.data.providers).toEqual([
      { provider: 'STRIPE', account: 'eu' },
      { provider: 'STRIPE', account: 'us' },
      { provider: 'AFTERPAY', account: 'default' },
    ]);
  });

  it('pages both accounts together, forward and back, in the documented order', async () => {
    const filter = { providers: ['STRIPE'] };
    const forward: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 50; i++) {
      const res: any = await gql(ALL, PAGE, { first: 7, after, filter });
      expect(res.errors).toBeUndefined();
      forward.push(...res.data.disputes.nodes.map((n: Node) => `${n.providerAccount}/${n.providerDisputeId}`));
      if (!res.data.disputes.pageInfo.hasNextPage) break;
      after = res.data.disputes.pageInfo.endCursor;
    }
    expect(forward).toEqual(expectedOrder());
    const backward: string[][] = [];
    let before: string | null = null;
    for (let i = 0; i < 50; i++) {
      const res: any = await gql(ALL, PAGE, { last: 9, before, filter });
      backward.unshift(res.data.disputes.nodes.map((n: Node) => `${n.providerAccount}/${n.providerDisputeId}`));
      if (!res.data.disputes.pageInfo.hasPreviousPage) break;
      before = res.data.disputes.pageInfo.startCursor;
    }
    expect(backward.flat()).toEqual(expectedOrder());
    // Cursors name no account or provider, and stay short.
    expect(after!.length).toBeLessThan(250);
  });

  it('narrows to accounts with filter.accounts, and refuses one that is not configured', async () => {
    const res = await gql(ALL, PAGE, { first: 100, filter: { accounts: [{ provider: 'STRIPE', account: 'us' }] } });
    expect(new Set(res.data.disputes.nodes.map((n: Node) => n.providerAccount))).toEqual(new Set(['us']));
    expect(res.data.disputes.nodes).toHaveLength(55);
    const bad = await gql(ALL, PAGE, { first: 1, filter: { accounts: [{ provider: 'STRIPE', account: 'apac' }] } });
    expect(bad.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.accounts' });
  });

  it('sends Stripe-Account for the Connect account only', async () => {
    await gql(ALL, PAGE, { first: 3, filter: { providers: ['STRIPE'] } });
    expect(us.server.requests.at(-1)!.headers['stripe-account']).toBe('acct_1UsConnected');
    expect(eu.server.requests.at(-1)!.headers['stripe-account']).toBeUndefined();
  });

  it('routes global ids and disputeByProviderId to their account, and closes there', async () => {
    const usDispute = us.all().find((d) => d.status === 'needs_response')!;
    const id = encodeDisputeId({ provider: 'STRIPE', account: 'us', providerDisputeId: usDispute.id });
    expect((await gql(ALL, 'query($id: ID!) { node(id: $id) { ... on Dispute { providerAccount } } }', { id })).data.node).toEqual({ providerAccount: 'us' });
    // The same provider id at the other account is another (missing) dispute.
    const wrong = encodeDisputeId({ provider: 'STRIPE', account: 'eu', providerDisputeId: usDispute.id });
    expect((await gql(ALL, 'query($id: ID!) { node(id: $id) { id } }', { id: wrong })).data.node).toBeNull();
    const by = await gql(
      ALL,
      'query($p: String!) { a: disputeByProviderId(provider: STRIPE, providerDisputeId: $p, account: "us") { id } b: disputeByProviderId(provider: STRIPE, providerDisputeId: $p) { id } }',
      { p: usDispute.id },
    );
    expect(by.data.a.id).toBe(id);
    expect(by.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'account' });
    const single = await gql(ALL, 'query($p: String!) { disputeByProviderId(provider: AFTERPAY, providerDisputeId: $p) { providerAccount } }', {
      p: sandbox.fakes[0]!.fake.ordered()[0],
    });
    expect(single.data.disputeByProviderId).toEqual({ providerAccount: 'default' });
    const before = us.closesExecuted;
    const closed = await gql(
      ALL,
      'mutation($id: ID!) { closeDispute(input: { id: $id, idempotencyKey: "acct-close" }) { dispute { status } userErrors { code } } }',
      { id },
    );
    expect(closed.data.closeDispute).toEqual({ dispute: { status: 'LOST' }, userErrors: [] });
    expect(us.closesExecuted - before).toBe(1);
  });

  it('lets a key limited to STRIPE:eu see the other account exactly as a missing one', async () => {
    expect((await gql(EU_ONLY, '{ providers { account } }')).data.providers).toEqual([{ account: 'eu' }]);
    const page = await gql(EU_ONLY, PAGE, { first: 100 });
    expect(new Set(page.data.disputes.nodes.map((n: Node) => n.providerAccount))).toEqual(new Set(['eu']));
    const real = encodeDisputeId({ provider: 'STRIPE', account: 'us', providerDisputeId: us.ordered()[0]! });
    const ghost = encodeDisputeId({ provider: 'STRIPE', account: 'us', providerDisputeId: 'du_doesNotExist000' });
    const ask = (id: string) => gql(EU_ONLY, 'query($id: ID!) { node(id: $id) { id } }', { id });
    expect(await ask(real)).toEqual(await ask(ghost));
    const filtered = await gql(EU_ONLY, PAGE, { first: 1, filter: { accounts: [{ provider: 'STRIPE', account: 'us' }] } });
    const unknown = await gql(EU_ONLY, PAGE, { first: 1, filter: { accounts: [{ provider: 'STRIPE', account: 'zz' }] } });
    expect(filtered.errors[0].message.replace('us', 'zz')).toBe(unknown.errors[0].message);
  });
});

describe('webhooks per account', () => {
  it('an account with webhookSecret has its own endpoint; its events name the account and reach only keys that may read it', async () => {
    const origin = new URL(gateway.url).origin;
    const object = eu.all()[0]!;
    const event = {
      id: 'evt_accountsEu1',
      object: 'event',
      type: 'charge.dispute.updated',
      created: Math.floor(Date.now() / 1000),
      data: { object },
      request: { id: null, idempotency_key: null },
    };
    expect((await postWebhook(origin, 'STRIPE', event, EU_WEBHOOK_SECRET, { account: 'eu' })).status).toBe(200);
    // The other account has no secret: no endpoint. Nor does the single-account form.
    expect((await postWebhook(origin, 'STRIPE', event, EU_WEBHOOK_SECRET, { account: 'us' })).status).toBe(404);
    expect((await postWebhook(origin, 'STRIPE', event, EU_WEBHOOK_SECRET)).status).toBe(404);
    await gateway.services.events.settled();
    const EVENTS = `{ disputeEvents(first: 10) { nodes { account providerEventId dispute { providerAccount providerDisputeId } } } }`;
    const all = (await gql(ALL, EVENTS)).data.disputeEvents.nodes as { account: string; providerEventId: string }[];
    expect(all).toContainEqual({ account: 'eu', providerEventId: 'evt_accountsEu1', dispute: { providerAccount: 'eu', providerDisputeId: object.id } });
    // The close made earlier at the us account is an event too, which the eu-only key does not see.
    expect(all.some((e) => e.account === 'us')).toBe(true);
    const seen = (await gql(EU_ONLY, EVENTS)).data.disputeEvents.nodes as { account: string }[];
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((e) => e.account === 'eu')).toBe(true);
  });
});

describe('PROVIDERS_FILE', () => {
  const env = { STRIPE_EU_KEY: EU_KEY };
  it.each([
    ['a missing variable, by name', 'accounts:\n  - { provider: stripe, account: eu, secretKey: "${NOT_SET_ANYWHERE}" }', /NOT_SET_ANYWHERE/],
    ['a bad account name', 'accounts:\n  - { provider: stripe, account: "EU!", secretKey: x }', /account must match/],
    ['an account twice', 'accounts:\n  - { provider: stripe, account: eu, secretKey: a }\n  - { provider: stripe, account: eu, secretKey: b }', /listed twice/],
    ['an unknown option', 'accounts:\n  - { provider: stripe, account: eu, secretKey: a, secretkey: b }', /unknown option "secretkey"/],
    ['an unknown provider', 'accounts:\n  - { provider: paypal, account: eu }', /provider must be one of/],
    ['an account without credentials', 'accounts:\n  - { provider: flex, account: eu }', /lacks its credentials/],
    ['a malformed Connect account', 'accounts:\n  - { provider: stripe, account: eu, secretKey: a, stripeAccount: "cus_1" }', /acct_/],
  ])('refuses %s at start', (_, yaml, message) => {
    expect(() => providersFile(yaml, env)).toThrowError(ConfigError);
    expect(() => providersFile(yaml, env)).toThrowError(message);
  });

  it('takes the single-account variables beside it as account default, unless the names clash', () => {
    const both = providersFile('accounts:\n  - { provider: stripe, account: eu, secretKey: "${STRIPE_EU_KEY}" }', { ...env, STRIPE_SECRET_KEY: US_KEY });
    expect(both.map((p) => `${p.definition.name}:${p.config.account}`)).toEqual(['STRIPE:default', 'STRIPE:eu']);
    expect(() => providersFile('accounts:\n  - { provider: stripe, account: default, secretKey: a }', { STRIPE_SECRET_KEY: US_KEY })).toThrowError(
      /configured twice/,
    );
  });
});

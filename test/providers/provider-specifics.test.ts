// What each provider does differently, checked against its fake over loopback.
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { afterpay } from '../../src/providers/afterpay/index.js';
import { seedAfterpayDisputes } from '../../src/providers/afterpay/fake/seed.js';
import { AfterpayFake, type AfterpayFakeOptions } from '../../src/providers/afterpay/fake/server.js';
import { flex } from '../../src/providers/flex/index.js';
import { seedFlexDisputes } from '../../src/providers/flex/fake/seed.js';
import { FlexFake } from '../../src/providers/flex/fake/server.js';
import type { DisputeProviderClient, ListPage } from '../../src/providers/types.js';
import { wooshpay } from '../../src/providers/wooshpay/index.js';
import { seedWooshPayDisputes } from '../../src/providers/wooshpay/fake/seed.js';
import { WooshPayFake } from '../../src/providers/wooshpay/fake/server.js';
import { sandboxProviderOf } from '../../src/sandbox/registry.js';

let agent: Agent;
beforeAll(() => {
  agent = new Agent();
});
afterAll(async () => {
  await agent.close();
});

async function walk(client: DisputeProviderClient, limit: number, between?: (page: number) => void) {
  const ids: string[] = [];
  let startingAfter: string | undefined;
  for (let page = 0; page < 100; page++) {
    const p: ListPage = await client.list({ limit, startingAfter, filter: {} });
    ids.push(...p.items.map((i) => i.dispute.providerDisputeId));
    if (!p.hasMore) return ids;
    startingAfter = p.items.at(-1)!.position;
    between?.(page);
  }
  throw new Error('did not finish');
}

describe('Afterpay', () => {
  const MERCHANT = '100200300';
  const SECRET = 'apsk_test_specifics000000000000';
  async function setup(opts: AfterpayFakeOptions = {}, env: Record<string, string> = {}, count = 23) {
    const fake = new AfterpayFake(MERCHANT, SECRET, seedAfterpayDisputes(5, count), opts);
    const url = await fake.start();
    const config = afterpay.configFromEnv({ AFTERPAY_MERCHANT_ID: MERCHANT, AFTERPAY_SECRET_KEY: SECRET, AFTERPAY_API_BASE: url, ...env })!;
    return { fake, client: afterpay.create(config, { dispatcher: agent, logger: silentLogger }) };
  }

  it('warns once at creation when the User-Agent would end without the merchant URL, and not when it has one', () => {
    const warnings: [string, Record<string, unknown> | undefined][] = [];
    const logger = { ...silentLogger, warn: (msg: string, fields?: Record<string, unknown>) => void warnings.push([msg, fields]) };
    const make = (env: Record<string, string>) =>
      afterpay.create(afterpay.configFromEnv({ AFTERPAY_MERCHANT_ID: MERCHANT, AFTERPAY_SECRET_KEY: SECRET, ...env })!, { dispatcher: agent, logger });
    make({});
    expect(warnings).toHaveLength(1);
    expect(warnings[0]![0]).toContain('AFTERPAY_MERCHANT_URL');
    expect(warnings[0]![1]).toMatchObject({ provider: 'AFTERPAY', account: 'default', userAgent: expect.stringMatching(/Merchant\/100200300\)$/) });
    make({ AFTERPAY_MERCHANT_URL: 'https://shop.example' });
    make({ AFTERPAY_USER_AGENT: 'Shop/2.0 (Shop/2.0; Node.js/22; Merchant/100200300) https://shop.example' });
    expect(warnings).toHaveLength(1);
    make({ AFTERPAY_USER_AGENT: 'Shop/2.0' });
    expect(warnings).toHaveLength(2);
  });

  it("the sandbox's Afterpay gives a merchant URL, so its User-Agent ends with it and nothing is warned", async () => {
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (msg: string) => void warnings.push(msg) };
    const fake = await sandboxProviderOf('AFTERPAY').startFake({ seed: 1, count: 2 });
    try {
      const client = afterpay.create(afterpay.configFromEnv(fake.env)!, { dispatcher: agent, logger });
      await client.list({ limit: 1, filter: {} });
      expect(fake.server.requests.at(-1)!.headers['user-agent']).toMatch(/\) https:\/\/merchant\.sandbox\.invalid$/);
      expect(warnings).toEqual([]);
    } finally {
      await fake.close();
    }
  });

  it('sends Basic merchantId:secretKey and a User-Agent in the documented form', async () => {
    const { fake, client } = await setup({}, { AFTERPAY_MERCHANT_URL: 'https://shop.example' });
    try {
      await client.list({ limit: 1, filter: {} });
      const sent = fake.server.requests[0]!;
      expect(sent.headers.authorization).toBe(`Basic ${Buffer.from(`${MERCHANT}:${SECRET}`).toString('base64')}`);
      expect(sent.headers['user-agent']).toMatch(
        /^DisputeGateway\/[\d.]+ \(DisputeGateway\/[\d.]+; Node\.js\/[\d.]+; Merchant\/100200300\) https:\/\/shop\.example$/,
      );
      expect(sent.headers.accept).toBe('application/json');
    } finally {
      await fake.close();
    }
  });

  it('accepts with POST, falling back to GET where only GET is allowed, and closes once', async () => {
    const { fake, client } = await setup({ acceptMethods: ['GET'] });
    try {
      const open = fake.all().find((d) => d.status === 'needs_response')!;
      const closed = await client.close!(open.id, { idempotencyKey: 'k' });
      expect(closed).toMatchObject({ status: 'LOST', extras: { closingReason: 'merchant_accepted', open: false } });
      const accepts = fake.server.requests.filter((r) => r.path.endsWith('/accept'));
      expect(accepts.map((r) => r.method)).toEqual(['POST', 'GET']);
      expect(fake.closesExecuted).toBe(1);
    } finally {
      await fake.close();
    }
  });

  it('uses GET first when AFTERPAY_ACCEPT_METHOD=GET, and reads wrapped single disputes', async () => {
    const { fake, client } = await setup({ wrapSingle: true }, { AFTERPAY_ACCEPT_METHOD: 'GET' });
    try {
      const open = fake.all().find((d) => d.status === 'under_review')!;
      expect((await client.retrieve!(open.id))!.providerDisputeId).toBe(open.id);
      await client.close!(open.id, { idempotencyKey: 'k' });
      expect(fake.server.requests.filter((r) => r.path.endsWith('/accept')).map((r) => r.method)).toEqual(['GET']);
    } finally {
      await fake.close();
    }
  });

  it('never repeats or skips a dispute when new ones arrive between forward pages', async () => {
    const { fake, client } = await setup({}, {}, 30);
    try {
      const original = fake.ordered();
      const extra = seedAfterpayDisputes(77, 9).map((d, i) => ({ ...d, id: `dp_new${i}`, createdAt: String(2_000_000_000 + i) }));
      const before = fake.server.received;
      const ids = await walk(client, 4, (page) => {
        if (page === 1) extra.slice(0, 2).forEach((d) => fake.add(d));
        if (page === 3) extra.slice(2).forEach((d) => fake.add(d)); // more than a page at once
      });
      expect(ids).toEqual(original);
      // One call a page, plus one re-read on each of the two pages after the list moved.
      expect(fake.server.received - before).toBe(Math.ceil(30 / 4) + 2);
    } finally {
      await fake.close();
    }
  });

  it('never repeats or skips a dispute when new ones arrive between backward pages', async () => {
    const { fake, client } = await setup({}, {}, 30);
    try {
      const original = fake.ordered();
      const oldest = await client.list({ limit: 4, fromEnd: true, filter: {} });
      expect(oldest.hasNewer).toBe(true);
      const pages = [oldest.items.map((i) => i.dispute.providerDisputeId)];
      let endingBefore = oldest.items[0]!.position;
      const extra = seedAfterpayDisputes(78, 3).map((d, i) => ({ ...d, id: `dp_late${i}`, createdAt: String(2_000_000_000 + i) }));
      for (let page = 0; page < 20; page++) {
        if (page === 2) extra.forEach((d) => fake.add(d));
        const p = await client.list({ limit: 4, endingBefore, filter: {} });
        pages.unshift(p.items.map((i) => i.dispute.providerDisputeId));
        if (!p.hasMore) break;
        endingBefore = p.items[0]!.position;
      }
      // Walking toward the newest, the late arrivals come last (first in newest-first order).
      expect(pages.flat()).toEqual([...extra.map((d) => d.id).reverse(), ...original]);
    } finally {
      await fake.close();
    }
  });

  it('finds the oldest page in one call when everything fits, two otherwise', async () => {
    const { fake, client } = await setup({}, {}, 6);
    try {
      const before = fake.server.received;
      const all = await client.list({ limit: 10, fromEnd: true, filter: {} });
      expect(all.items.map((i) => i.dispute.providerDisputeId)).toEqual(fake.ordered());
      expect(all.hasNewer).toBe(false);
      expect(fake.server.received - before).toBe(1);
      const tail = await client.list({ limit: 2, fromEnd: true, filter: {} });
      expect(tail.items.map((i) => i.dispute.providerDisputeId)).toEqual(fake.ordered().slice(-2));
      expect(fake.server.received - before).toBe(3);
    } finally {
      await fake.close();
    }
  });

  it('filters by created with inclusive openedAfter/openedBefore', async () => {
    const { fake, client } = await setup({}, {}, 40);
    try {
      const all = fake.all();
      const lo = Number(all[30]!.createdAt);
      const hi = Number(all[10]!.createdAt);
      const want = all.filter((d) => Number(d.createdAt) > lo && Number(d.createdAt) < hi).map((d) => d.id);
      const page = await client.list({ limit: 100, filter: { created: { gt: new Date(lo * 1000), lt: new Date(hi * 1000) } } });
      expect(page.items.map((i) => i.dispute.providerDisputeId)).toEqual(want);
      expect(fake.server.requests.at(-1)!.query).toMatch(/openedAfter=.*openedBefore=/);
    } finally {
      await fake.close();
    }
  });
});

describe('Flex', () => {
  const KEY = 'fsk_test_specifics0000000000';
  async function setup(withHasMore: boolean, count = 130) {
    const fake = new FlexFake(KEY, seedFlexDisputes(8, count), { withHasMore });
    const url = await fake.start();
    return { fake, client: flex.create(flex.configFromEnv({ FLEX_API_KEY: KEY, FLEX_API_BASE: url })!, { dispatcher: agent, logger: silentLogger }) };
  }

  it('asks for one more than the page and reads the next page from it (no has_more)', async () => {
    const { fake, client } = await setup(false, 23);
    try {
      const ids = await walk(client, 5);
      expect(ids).toEqual(fake.ordered());
      const lists = fake.server.requests.filter((r) => r.path === '/v1/disputes');
      expect(lists).toHaveLength(5);
      for (const r of lists) expect(new URLSearchParams(r.query).get('limit')).toBe('6');
      expect(lists.every((r) => new URLSearchParams(r.query).get('expand') === 'evidence')).toBe(true);
      expect(fake.server.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    } finally {
      await fake.close();
    }
  });

  it('probes once when a full page of 100 cannot ask for one more', async () => {
    const { fake, client } = await setup(false, 130);
    try {
      expect(await walk(client, 100)).toEqual(fake.ordered());
      // Page 1 (100, then a probe of 1), page 2 (30 of 100 asked: the end).
      expect(fake.server.requests.map((r) => new URLSearchParams(r.query).get('limit'))).toEqual(['100', '1', '100']);
    } finally {
      await fake.close();
    }
  });

  it('uses has_more where Flex sends it', async () => {
    const { fake, client } = await setup(true, 130);
    try {
      expect(await walk(client, 100)).toEqual(fake.ordered());
      expect(fake.server.requests).toHaveLength(2);
    } finally {
      await fake.close();
    }
  });

  it('lists summaries (evidence, but no balance transactions) and retrieves full records', async () => {
    const { fake, client } = await setup(false, 20);
    try {
      const listed = (await client.list({ limit: 20, filter: {} })).items.map((i) => i.dispute);
      expect(listed.every((d) => d.detail === 'summary' && d.balanceTransactions.length === 0 && d.paymentMethodDetails === null)).toBe(true);
      const withEvidence = listed.find((d) => d.evidence.receipt !== null)!;
      expect(withEvidence).toBeDefined();
      const full = (await client.retrieve!(listed.find((d) => d.status === 'LOST')!.providerDisputeId))!;
      expect(full.detail).toBe('full');
      expect(full.balanceTransactions.length).toBeGreaterThan(0);
      expect(full.paymentMethodDetails?.type).toBe('card');
    } finally {
      await fake.close();
    }
  });

  it('sends the charge and payment intent filters upstream', async () => {
    const { fake, client } = await setup(false, 20);
    try {
      const target = fake.all()[7]!;
      const page = await client.list({ limit: 10, filter: { paymentIntent: target.payment_intent_id } });
      expect(page.items.map((i) => i.dispute.providerDisputeId)).toEqual([target.dispute_id]);
    } finally {
      await fake.close();
    }
  });
});

describe('WooshPay', () => {
  const KEY = 'sk_test_wooshspecifics00000000';
  async function setup(listParams?: string) {
    const fake = new WooshPayFake(KEY, seedWooshPayDisputes(4, 17));
    const url = await fake.start();
    const env: Record<string, string> = { WOOSHPAY_SECRET_KEY: KEY, WOOSHPAY_API_BASE: url, ...(listParams && { WOOSHPAY_LIST_PARAMS: listParams }) };
    return { fake, client: wooshpay.create(wooshpay.configFromEnv(env)!, { dispatcher: agent, logger: silentLogger }) };
  }

  it.each([
    ['body', (r: { body: string; query: string }) => r.query === '' && JSON.parse(r.body).limit === 4],
    ['query', (r: { body: string; query: string }) => r.body === '' && new URLSearchParams(r.query).get('limit') === '4'],
  ])('lists at /v1/disputes/list with the parameters in the %s', async (mode, sentThatWay) => {
    const { fake, client } = await setup(mode);
    try {
      expect(await walk(client, 4)).toEqual(fake.ordered());
      const lists = fake.server.requests;
      expect(lists.every((r) => r.method === 'GET' && r.path === '/v1/disputes/list')).toBe(true);
      expect(lists.every(sentThatWay)).toBe(true);
    } finally {
      await fake.close();
    }
  });

  it('closes with JSON Accept and Content-Type, which its fake requires', async () => {
    const { fake, client } = await setup();
    try {
      const open = fake.all().find((d) => d.status === 'needs_response')!;
      expect((await client.close!(open.id, { idempotencyKey: 'wk' })).status).toBe('LOST');
      const sent = fake.server.requests.at(-1)!;
      expect(sent.headers).toMatchObject({ accept: 'application/json', 'content-type': 'application/json', 'idempotency-key': 'wk' });
      const other = fake.all().find((d) => d.status === 'warning_needs_response')!;
      const bare = await fetch(`${fake.server.url}/v1/disputes/${other.id}/close`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(bare.status).toBe(400);
    } finally {
      await fake.close();
    }
  });
});

// Bench child: the hand-written floor for any gateway. node:http + undici, no GraphQL: it fetches
// the same upstream data, reads it with the same pure transformers, and writes the same JSON the
// gateway's query returns. What the gateway costs beyond this is what GraphQL costs.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import type { Dispute, ProviderName } from '../src/domain/dispute.js';
import { mergedOrder } from '../src/gateway/merge.js';
import { afterpayToDispute, readAfterpayList } from '../src/providers/afterpay/transformers.js';
import { flexToDispute, readFlexList } from '../src/providers/flex/transformers.js';
import { readStripeList } from '../src/providers/kit/stripe-shape.js';
import { stripeToDispute } from '../src/providers/stripe/transformers.js';
import { wooshpayToDispute } from '../src/providers/wooshpay/transformers.js';
import { mergedShape, oneShape, pageShape } from './shapes.js';

const env = process.env;
const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
const basic = (user: string, pass = '') => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const auth: Record<ProviderName, string> = {
  STRIPE: basic(env.STRIPE_SECRET_KEY!),
  WOOSHPAY: basic(env.WOOSHPAY_SECRET_KEY!),
  FLEX: `Bearer ${env.FLEX_API_KEY}`,
  AFTERPAY: basic(env.AFTERPAY_MERCHANT_ID!, env.AFTERPAY_SECRET_KEY),
};

async function get(provider: ProviderName, url: string): Promise<unknown> {
  const res = await request(url, { dispatcher: agent, headers: { authorization: auth[provider], accept: 'application/json', 'user-agent': 'bench-proxy/1' } });
  return res.body.json();
}

async function list(provider: ProviderName, limit: number): Promise<Dispute[]> {
  switch (provider) {
    case 'STRIPE':
      return readStripeList(await get(provider, `${env.STRIPE_API_BASE}/v1/disputes?limit=${limit}`)).data.map((d) => stripeToDispute(d, 'default'));
    case 'WOOSHPAY':
      return readStripeList(await get(provider, `${env.WOOSHPAY_API_BASE}/v1/disputes/list?limit=${limit}`)).data.map((d) => wooshpayToDispute(d, 'default'));
    case 'FLEX':
      return readFlexList(await get(provider, `${env.FLEX_API_BASE}/v1/disputes?limit=${limit}&expand=evidence`)).data.map((d) =>
        flexToDispute(d, 'default', 'summary'),
      );
    case 'AFTERPAY':
      return readAfterpayList(await get(provider, `${env.AFTERPAY_API_BASE}/v2/disputes?offset=0&limit=${limit}`)).data.map((d) =>
        afterpayToDispute(d, 'default', { currency: 'usd', livemode: false }),
      );
  }
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://proxy');
  let body: unknown;
  if (url.pathname === '/one') {
    const d = stripeToDispute(await get('STRIPE', `${env.STRIPE_API_BASE}/v1/disputes/${url.searchParams.get('id')}`), 'default');
    body = { data: { dispute: oneShape(d) } };
  } else if (url.pathname === '/page') {
    body = { data: { disputes: { nodes: (await list('STRIPE', 100)).map(pageShape) } } };
  } else if (url.pathname === '/merged') {
    const n = 50;
    const lists = await Promise.all((['STRIPE', 'WOOSHPAY', 'FLEX', 'AFTERPAY'] as const).map((p) => list(p, n + 1)));
    const merged = lists
      .flatMap((l) => l.map((dispute) => ({ dispute, provider: dispute.provider })))
      .sort((a, b) => mergedOrder(a, b))
      .slice(0, n)
      .map((i) => mergedShape(i.dispute));
    body = { data: { disputes: { nodes: merged } } };
  } else {
    res.writeHead(404).end();
    return;
  }
  const json = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);

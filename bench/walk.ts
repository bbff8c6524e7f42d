// The floor for the index's backfill: every fake's dispute list walked once, newest first, over
// plain HTTP (undici, JSON read, nothing else done with it), all four providers at once as the
// index walks them, at the page size the index asks for. Its rate is what the backfill is held to.
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';

export interface Walk {
  disputes: number;
  calls: number;
  seconds: number;
  perSecond: number;
  perProvider: Record<string, number>;
}

type Page = { items: unknown[]; next: string | null };
type Walker = { name: string; page: (after: string | null) => Promise<Page> };

const basic = (user: string, pass = '') => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

function walkers(env: Record<string, string>, limit: number, get: (url: string, authorization: string) => Promise<any>): Walker[] {
  const stripeShaped = (base: string, path: string, authorization: string) => async (after: string | null) => {
    const body = await get(`${base}${path}?limit=${limit}${after ? `&starting_after=${after}` : ''}`, authorization);
    return { items: body.data, next: body.has_more ? body.data.at(-1).id : null };
  };
  return [
    { name: 'STRIPE', page: stripeShaped(env.STRIPE_API_BASE!, '/v1/disputes', basic(env.STRIPE_SECRET_KEY!)) },
    { name: 'WOOSHPAY', page: stripeShaped(env.WOOSHPAY_API_BASE!, '/v1/disputes/list', basic(env.WOOSHPAY_SECRET_KEY!)) },
    {
      name: 'FLEX',
      // No has_more at Flex: a short page is the last.
      page: async (after) => {
        const body = await get(
          `${env.FLEX_API_BASE}/v1/disputes?limit=${limit}&expand=evidence${after ? `&starting_after=${after}` : ''}`,
          `Bearer ${env.FLEX_API_KEY}`,
        );
        return { items: body.disputes, next: body.disputes.length === limit ? body.disputes.at(-1).dispute_id : null };
      },
    },
    {
      name: 'AFTERPAY',
      page: async (after) => {
        const offset = Number(after ?? 0);
        const body = await get(
          `${env.AFTERPAY_API_BASE}/v2/disputes?offset=${offset}&limit=${limit}`,
          basic(env.AFTERPAY_MERCHANT_ID!, env.AFTERPAY_SECRET_KEY),
        );
        const next = offset + body.data.length;
        return { items: body.data, next: next < body.total ? String(next) : null };
      },
    },
  ];
}

/** Walks every fake's list to its end, the four at once; how many disputes, calls and seconds. */
export async function walkLists(env: Record<string, string>, limit = 100): Promise<Walk> {
  const agent = new Agent({ connections: 8, keepAliveTimeout: 10_000 });
  let calls = 0;
  const get = async (url: string, authorization: string) => {
    calls += 1;
    const res = await request(url, { dispatcher: agent, headers: { authorization, accept: 'application/json', 'user-agent': 'bench-walk/1' } });
    if (res.statusCode !== 200) throw new Error(`walk: ${url} answered ${res.statusCode}: ${await res.body.text()}`);
    return res.body.json();
  };
  const perProvider: Record<string, number> = {};
  const started = performance.now();
  await Promise.all(
    walkers(env, limit, get).map(async (w) => {
      let after: string | null = null;
      let n = 0;
      do {
        const page = await w.page(after);
        n += page.items.length;
        after = page.next;
      } while (after !== null);
      perProvider[w.name] = n;
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await agent.close();
  const disputes = Object.values(perProvider).reduce((a, b) => a + b, 0);
  return { disputes, calls, seconds, perSecond: disputes / seconds, perProvider };
}

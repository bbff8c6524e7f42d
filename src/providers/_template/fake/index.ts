// TestPay's fake: seeded disputes behind a bearer key, listed and read as its API does. Test and
// sandbox support only: production code never imports it (the sandbox registry loads it).
import { fakeHandle, FakeServer, type FakeRequest, type FakeResponse } from '../../../sandbox/fake-server.js';
import { sliceByCursor } from '../../../sandbox/list.js';
import { createRng } from '../../../sandbox/random.js';
import type { SandboxProvider } from '../../../sandbox/types.js';
import { STATUS, TESTPAY } from '../transformers.js';
import { TESTPAY_STATUSES, type TestPayDispute, type TestPayError } from '../wire.js';

const newestFirst = (a: TestPayDispute, b: TestPayDispute) => b.created - a.created || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

export function seedTestPayDisputes(seed: number, count = 25, created?: () => number): TestPayDispute[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, (_, i) => ({
    id: `tp_${String(i).padStart(4, '0')}${rng.int(100, 999)}`,
    amount: rng.int(100, 90_000),
    currency: 'eur',
    status: rng.pick(TESTPAY_STATUSES),
    created: created?.() ?? 1_780_000_000 + rng.int(0, 4_000_000),
    channel: rng.pick(['web', 'app', 'pos']),
  })).sort(newestFirst);
}

export async function startTestPayFake(opts: { seed: number; count?: number; created?: () => number }) {
  const disputes = seedTestPayDisputes(opts.seed, opts.count, opts.created);
  const byId = new Map(disputes.map((d) => [d.id, d]));
  const key = `tp_key_${opts.seed}`;
  const error = (status: number, code: string): FakeResponse => ({ status, body: { error: { code } } satisfies TestPayError });
  const handler = (req: FakeRequest): FakeResponse => {
    if (req.headers.authorization !== `Bearer ${key}`) return error(401, 'unauthorized');
    if (req.method === 'GET' && req.path === '/disputes') {
      const after = req.query.get('starting_after');
      const before = req.query.get('ending_before');
      const anchorId = after ?? before;
      const anchor = anchorId ? byId.get(anchorId) : undefined;
      if (anchorId && !anchor) return error(400, 'no_such_anchor');
      const { data, hasMore } = sliceByCursor(disputes, {
        limit: Number(req.query.get('limit') ?? 10),
        matches: () => true,
        order: newestFirst,
        ...(anchor && { anchor: { item: anchor, direction: after ? ('after' as const) : ('before' as const) } }),
      });
      return { status: 200, body: { data, has_more: hasMore } };
    }
    const one = /^\/disputes\/([^/]+)$/.exec(req.path);
    if (req.method === 'GET' && one) {
      const d = byId.get(decodeURIComponent(one[1]!));
      return d ? { status: 200, body: d } : error(404, 'not_found');
    }
    return error(404, 'no_route');
  };
  const server = new FakeServer(handler);
  const url = await server.listen();
  const handle = fakeHandle(
    { server, ordered: () => disputes.map((d) => d.id), closesExecuted: 0, close: () => server.close() },
    url,
    { TESTPAY_API_KEY: key, TESTPAY_API_BASE: url, TESTPAY_RATE_LIMIT: '0' },
    () => disputes.map((d) => ({ id: d.id, created: d.created, status: STATUS[d.status], currency: d.currency })),
  );
  return { ...handle, disputes };
}

/** TestPay in the sandbox: registered beside its definition, as a built-in provider's is. */
export const testpaySandbox: SandboxProvider = { name: TESTPAY, startFake: (opts) => startTestPayFake(opts) };

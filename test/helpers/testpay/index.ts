// TestPay: the smallest provider there can be, defined outside src/ to show that a provider is a
// plugin. It lists (Stripe-style cursors) and reads one dispute; it cannot close, so the gateway
// says NOT_SUPPORTED. Its fake is built from the shared test kit (FakeServer, sliceByCursor).
import type { Dispute, DisputeStatus, ProviderName } from '../../../src/domain/dispute.js';
import { unreadableDispute } from '../../../src/domain/dispute.js';
import { pipelineSettings, type PipelineSettings } from '../../../src/providers/env.js';
import { decodeUpstream, fromSettings, HttpPipeline, upstreamPath } from '../../../src/providers/http.js';
import type { DisputeProviderClient, ListPage, ListQuery, ProviderCapabilities, ProviderDefinition, ProviderDeps } from '../../../src/providers/types.js';
import { fakeHandle, FakeServer, type FakeRequest, type FakeResponse } from '../../../src/sandbox/fake-server.js';
import type { SandboxProvider } from '../../../src/sandbox/types.js';
import { sliceByCursor } from '../../../src/sandbox/list.js';
import { createRng } from '../../../src/sandbox/random.js';

export const TESTPAY = 'TESTPAY' as ProviderName;

/** TestPay's wire shape: what its API sends, what its fake serves and its reader reads. */
export interface TestPayDispute {
  id: string;
  amount: number;
  currency: string;
  status: 'open' | 'won' | 'lost';
  created: number;
  channel: string;
}

const STATUS: Record<TestPayDispute['status'], DisputeStatus> = { open: 'NEEDS_RESPONSE', won: 'WON', lost: 'LOST' };

interface TestPayConfig {
  apiKey: string;
  apiBase: string;
  account: string;
  pipeline: PipelineSettings;
}

function toDispute(raw: TestPayDispute, account: string): Dispute {
  return {
    ...unreadableDispute(TESTPAY, account, raw.id, new Date(raw.created * 1000), new Error('unused')),
    amount: raw.amount,
    currency: raw.currency,
    status: STATUS[raw.status],
    providerStatus: raw.status,
    extras: { channel: raw.channel },
    detail: 'full',
    unreadable: undefined,
  };
}

class TestPayClient implements DisputeProviderClient {
  readonly name = TESTPAY;
  readonly account: string;
  readonly capabilities: ProviderCapabilities = {
    filters: [],
    pagination: 'id_cursor',
    listFromEnd: false,
    closableStatuses: [],
    idempotentClose: false,
    maxPageSize: 100,
  };
  private readonly http: HttpPipeline;

  constructor(config: TestPayConfig, deps: ProviderDeps) {
    this.account = config.account;
    this.http = new HttpPipeline({
      provider: TESTPAY,
      account: config.account,
      baseUrl: config.apiBase,
      dispatcher: deps.dispatcher,
      logger: deps.logger,
      resilience: deps.resilience,
      observer: deps.observer,
      spans: deps.spans,
      notFoundCodes: ['not_found'],
      ...fromSettings(config.pipeline),
      authHeaders: () => ({ authorization: `Bearer ${config.apiKey}` }),
      readErrorEnvelope: (json) => ({ providerCode: (json as { error?: { code?: string } })?.error?.code }),
    });
  }

  async list(q: ListQuery): Promise<ListPage> {
    const res = await this.http.send({
      method: 'GET',
      path: '/disputes',
      query: { limit: q.limit, starting_after: q.startingAfter, ending_before: q.endingBefore },
    });
    return decodeUpstream(TESTPAY, res, (json) => {
      const page = json as { data: TestPayDispute[]; has_more: boolean };
      return { items: page.data.map((d) => ({ dispute: toDispute(d, this.account), position: d.id })), hasMore: page.has_more };
    });
  }

  async retrieve(id: string): Promise<Dispute | null> {
    const res = await this.http.getOrNull(upstreamPath`/disputes/${id}`);
    return res && decodeUpstream(TESTPAY, res, (json) => toDispute(json as TestPayDispute, this.account));
  }

  rawStatuses(wanted: readonly DisputeStatus[]): string[] {
    return Object.entries(STATUS)
      .filter(([, s]) => wanted.includes(s))
      .map(([raw]) => raw);
  }

  health() {
    return this.http.health();
  }

  closedByMerchant(): boolean {
    return false;
  }
}

const newestFirst = (a: TestPayDispute, b: TestPayDispute) => b.created - a.created || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** TestPay's fake: seeded disputes behind a bearer key, listed and read like its API. */
export async function startTestPayFake(opts: { seed: number; count?: number; created?: () => number }) {
  const rng = createRng(opts.seed);
  const disputes: TestPayDispute[] = Array.from({ length: opts.count ?? 25 }, (_, i) => ({
    id: `tp_${String(i).padStart(4, '0')}${rng.int(100, 999)}`,
    amount: rng.int(100, 90_000),
    currency: 'eur',
    status: rng.pick(['open', 'won', 'lost'] as const),
    created: opts.created?.() ?? 1_780_000_000 + rng.int(0, 4_000_000),
    channel: rng.pick(['web', 'app', 'pos']),
  })).sort(newestFirst);
  const byId = new Map(disputes.map((d) => [d.id, d]));
  const key = `tp_key_${opts.seed}`;
  const error = (status: number, code: string): FakeResponse => ({ status, body: { error: { code } } });
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
    {
      TESTPAY_API_KEY: key,
      TESTPAY_API_BASE: url,
      TESTPAY_RATE_LIMIT: '0',
    },
    () => disputes.map((d) => ({ id: d.id, created: d.created, status: STATUS[d.status], currency: d.currency })),
  );
  return { ...handle, disputes };
}

export const testpay: ProviderDefinition<TestPayConfig> = {
  name: TESTPAY,
  displayName: 'TestPay',
  typeDefs: /* GraphQL */ `
    "TestPay's own fields of a dispute."
    type TestPayDisputeDetails {
      "Where the payment was taken: web, app or pos."
      channel: String
    }
    extend union DisputeProviderDetails = TestPayDisputeDetails
  `,
  detailsType: 'TestPayDisputeDetails',
  options: ['apiKey', 'apiBase', 'timeoutMs', 'rateLimit'],
  configFromEnv(env) {
    const apiKey = env.TESTPAY_API_KEY?.trim();
    if (!apiKey) return null;
    return {
      apiKey,
      apiBase: env.TESTPAY_API_BASE?.trim() || 'https://api.testpay.invalid',
      account: 'default',
      pipeline: pipelineSettings(env, 'TESTPAY', { timeoutMs: 5_000, ratePerSecond: 10 }),
    };
  },
  create: (config, deps) => new TestPayClient(config, deps),
  secrets: (config) => [config.apiKey],
};

/** TestPay in the sandbox: registered beside its definition, as a built-in provider's is. */
export const testpaySandbox: SandboxProvider = { name: TESTPAY, startFake: (opts) => startTestPayFake(opts) };

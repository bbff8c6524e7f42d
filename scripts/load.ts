// `npm run load`: a bounded load run on loopback. The sandbox's four fakes misbehave on 10% of
// requests (5xx, 503 with Retry-After, 429, resets mid-body, answers lost after acting, hangs past
// the timeout); a fixed number of GraphQL requests at a fixed concurrency go through the real
// gateway. It checks: no crash, every error typed, no close lost or done twice, and the heap after
// a forced GC within 10% of where it started. It prints its figures and exits 1 on any breach.
//
//   LOAD_REQUESTS (default 3000), LOAD_CONCURRENCY (16), LOAD_FAULT_RATE (0.1), LOAD_SEED (7)
//   --replicas N: N gateways (one process) taking the requests in turn; --redis: sharing a real
//   redis-server started for the run (REDIS_URL's stores), as replicas in production do.
import { CLOSED_BY_CLOSE } from '../src/domain/dispute.js';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { createLogger } from '../src/logger.js';
import { installProcessGuards } from '../src/process-guards.js';
import { PROVIDER_DEFINITIONS, providersFromEnv, secretsOf } from '../src/providers/registry.js';
import { createRng } from '../src/sandbox/random.js';
import { startSandbox } from '../src/sandbox/index.js';
import { startGateway, type Gateway } from '../src/server.js';
import { connectRedis, type RedisState } from '../src/state/redis.js';
import { DEFAULT_RETENTION } from '../src/events/log.js';
import { startRedis, type RedisServer } from './redis-server.js';

/** What a close ends in: a chargeback lost, an inquiry warning_closed. */
const CLOSED: readonly string[] = CLOSED_BY_CLOSE;
import type { ProviderName } from '../src/domain/dispute.js';

const REQUESTS = Number(process.env.LOAD_REQUESTS ?? 3000);
const CONCURRENCY = Number(process.env.LOAD_CONCURRENCY ?? 16);
const FAULT_RATE = Number(process.env.LOAD_FAULT_RATE ?? 0.1);
const SEED = Number(process.env.LOAD_SEED ?? 7);
const argAfter = (flag: string) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const REPLICAS = Number(argAfter('--replicas') ?? 1);
const REDIS = process.argv.includes('--redis');
const TYPED = new Set(['BAD_USER_INPUT', 'PROVIDER_ERROR', 'PROVIDER_UNAVAILABLE', 'PROVIDER_AUTH_FAILED', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE']);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with node --expose-gc (npm run load does)');
  process.exit(2);
}

/** A request retried (a few times, spaced) until it answers without errors. */
async function settled<T extends { body: { errors?: unknown[] } }>(send: () => Promise<T>): Promise<T> {
  let res = await send();
  for (let i = 0; i < 5 && res.body.errors?.length; i++) {
    await new Promise((r) => setTimeout(r, 500));
    res = await send();
  }
  return res;
}

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc!();
  return process.memoryUsage().heapUsed;
}

const LIST = `query($first: Int, $after: String, $last: Int, $before: String, $filter: DisputeFilter) {
  disputes(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
    edges { cursor node { id provider providerDisputeId status closable amount currency created } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;
const NODE = 'query($id: ID!) { node(id: $id) { ... on Dispute { id status amount evidence { customerName } evidenceDetails { dueBy } } } }';
const CLOSE = 'mutation($input: CloseDisputeInput!) { closeDispute(input: $input) { dispute { id status } userErrors { code } } }';

async function main() {
  const sandbox = await startSandbox(SEED);
  const env = {
    ...sandbox.env,
    ...Object.fromEntries(PROVIDER_DEFINITIONS.map((d) => [`${d.name}_TIMEOUT_MS`, '400'])),
  };
  const providers = providersFromEnv(env);
  // Lines are counted, not kept: the run measures the gateway's heap, not its own.
  let logLines = 0;
  const logger = createLogger({ level: 'warn', secrets: secretsOf(providers), write: () => (logLines += 1) });
  const stats = installProcessGuards(logger);
  // Replicas share the cursor secret (cursors work on any of them) and, with --redis, every store.
  const redisServer: RedisServer | null = REDIS ? await startRedis() : null;
  const states: (RedisState | null)[] = [];
  const gateways: Gateway[] = [];
  for (let i = 0; i < REPLICAS; i++) {
    const redis = redisServer ? connectRedis({ url: redisServer.url }, { logger, retention: DEFAULT_RETENTION, uploadBytesPerHour: 500 * 2 ** 20 }) : null;
    states.push(redis);
    gateways.push(
      await startGateway({
        providers,
        logger,
        port: 0,
        stats,
        cursorSecrets: ['load-run-cursor-secret-of-at-least-32-characters'],
        ...(redis && { state: redis.state as never, sharedStateHealthy: redis.healthy }),
      }),
    );
  }
  if (redis0(states)) await waitForRedis(states);
  const clients = gateways.map((g) => new Pool(new URL(g.url).origin, { connections: CONCURRENCY }));
  let turn = 0;

  const post = async (query: string, variables: Record<string, unknown>, replica = (turn += 1) % clients.length) => {
    const client = clients[replica]!;
    const res = await client.request({
      path: '/graphql',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: JSON.parse(text) as { data?: any; errors?: { extensions?: { code?: string } }[] } };
  };

  // What the run learns as it goes: cursors to page on, disputes to refetch and close.
  const rng = createRng(SEED);
  const cursors: { after: string[]; before: string[] } = { after: [], before: [] };
  const known: { id: string; provider: ProviderName; providerDisputeId: string; closable: boolean }[] = [];
  const closeKeys = new Map<string, { id: string; provider: ProviderName; providerDisputeId: string; outcome?: string }>();

  const errorsByCode = new Map<string, number>();
  const latencies: number[] = [];
  let untyped = 0;
  let badStatus = 0;

  function remember(
    edges: { cursor: string; node: { id: string; provider: ProviderName; providerDisputeId: string; closable: boolean } }[],
    unfiltered: boolean,
  ) {
    for (const e of edges) {
      if (known.length < 2000 && rng.chance(0.3)) known.push({ ...e.node });
      // A cursor belongs to its filter: only unfiltered pages' cursors are reused (unfiltered).
      if (unfiltered && rng.chance(0.05)) (rng.chance(0.5) ? cursors.after : cursors.before).push(e.cursor);
    }
    if (cursors.after.length > 200) cursors.after.splice(0, 100);
    if (cursors.before.length > 200) cursors.before.splice(0, 100);
  }

  function nextOperation(): [string, Record<string, unknown>, string | null] {
    const r = rng.next();
    if (r < 0.45 || known.length === 0) {
      const after = cursors.after.length && rng.chance(0.6) ? rng.pick(cursors.after) : null;
      return [LIST, { first: rng.int(5, 25), after }, null];
    }
    if (r < 0.55) return [LIST, { last: rng.int(5, 25), before: cursors.before.length ? rng.pick(cursors.before) : null }, null];
    if (r < 0.65) {
      const filter = rng.pick([
        { status: ['NEEDS_RESPONSE'] },
        { providers: ['AFTERPAY', 'FLEX'] },
        { currency: 'EUR' },
        { provider: 'STRIPE', created: { gte: '2026-08-01T00:00:00Z' } },
      ]);
      return [LIST, { first: rng.int(5, 20), filter }, null];
    }
    if (r < 0.88) return [NODE, { id: rng.pick(known).id }, null];
    // Closes: a new key for an open dispute, or the same key again (a client's retry).
    const repeat = closeKeys.size > 0 && rng.chance(0.3);
    if (repeat) {
      const [key, c] = rng.pick([...closeKeys.entries()]);
      return [CLOSE, { input: { id: c.id, idempotencyKey: key } }, key];
    }
    const open = known.filter((k) => k.closable && ![...closeKeys.values()].some((c) => c.id === k.id));
    if (open.length === 0) return [NODE, { id: rng.pick(known).id }, null];
    const target = rng.pick(open);
    const key = `load-${closeKeys.size}`;
    closeKeys.set(key, { id: target.id, provider: target.provider, providerDisputeId: target.providerDisputeId });
    return [CLOSE, { input: { id: target.id, idempotencyKey: key } }, key];
  }

  async function one() {
    const [query, variables, key] = nextOperation();
    const started = performance.now();
    const res = await post(query, variables);
    latencies.push(performance.now() - started);
    if (res.status !== 200 && res.status !== 400) badStatus += 1;
    for (const e of res.body.errors ?? []) {
      const code = e.extensions?.code ?? 'NONE';
      errorsByCode.set(code, (errorsByCode.get(code) ?? 0) + 1);
      if (!TYPED.has(code)) untyped += 1;
    }
    const data = res.body.data;
    if (data?.disputes) remember(data.disputes.edges, variables.filter === undefined);
    if (key && data?.closeDispute) {
      const c = closeKeys.get(key)!;
      const payload = data.closeDispute;
      c.outcome = payload.userErrors.length ? payload.userErrors[0].code : payload.dispute.status;
    }
  }

  async function run(total: number) {
    let issued = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (issued < total) {
          issued += 1;
          await one();
        }
      }),
    );
  }

  // Warm up without faults (caches, JIT, pools), then measure the heap.
  await run(300);
  for (const { fake } of sandbox.fakes) fake.server.requests.length = 0;
  const heapStart = heapAfterGc();
  latencies.length = 0;
  errorsByCode.clear();

  for (const { fake } of sandbox.fakes) {
    fake.server.seedFaults(SEED);
    const share = FAULT_RATE / 6;
    fake.server.injectFault({ rate: share / (1 - 0 * share), status: 500, body: '{}' });
    fake.server.injectFault({ rate: share / (1 - 1 * share), status: 503, headers: { 'retry-after': '0' }, body: '{}' });
    fake.server.injectFault({ rate: share / (1 - 2 * share), status: 429, headers: { 'retry-after': '0' }, body: '{}' });
    fake.server.injectFault({ rate: share / (1 - 3 * share), reset: true, status: 200 });
    fake.server.injectFault({ rate: share / (1 - 4 * share), lost: true });
    fake.server.injectFault({ rate: share / (1 - 5 * share), hang: true });
  }

  const started = performance.now();
  await run(REQUESTS);
  const seconds = (performance.now() - started) / 1000;

  // Settle the closes: every key retried until it has an answer, with faults off and every
  // circuit breaker closed again (an open one fails fast by design, which would read as a loss).
  for (const { fake } of sandbox.fakes) fake.server.clearFaults();
  const breakersClosedAfter = performance.now();
  for (let i = 0; i < 60; i++) {
    const open = await Promise.all(
      clients.map(async (_, r) =>
        (await post('{ providers { health { state } } }', {}, r)).body.data.providers.some((p: { health: { state: string } }) => p.health.state === 'OPEN'),
      ),
    );
    if (!open.includes(true)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const waitedForBreakersMs = Math.round(performance.now() - breakersClosedAfter);
  for (const [key, c] of closeKeys) {
    for (
      let i = 0;
      i < 3 && (c.outcome === undefined || ![...CLOSED, 'DISPUTE_ALREADY_CLOSED', 'DISPUTE_NOT_CLOSABLE', 'NOT_FOUND'].includes(c.outcome));
      i++
    ) {
      const res = await settled(() => post(CLOSE, { input: { id: c.id, idempotencyKey: key } }));
      const p = res.body.data?.closeDispute;
      if (p) c.outcome = p.userErrors.length ? p.userErrors[0].code : p.dispute.status;
    }
  }
  // Each close the run saw succeed must be closed (LOST, or WARNING_CLOSED for an inquiry) at its provider, every close it asked for must have
  // ended closed, and each provider must have carried out exactly one close per dispute closed.
  let reportedButOpen = 0;
  let unsettled = 0;
  const succeeded = new Map<ProviderName, number>();
  for (const c of closeKeys.values()) {
    if (!CLOSED.includes(c.outcome ?? '')) {
      unsettled += 1;
      continue;
    }
    succeeded.set(c.provider, (succeeded.get(c.provider) ?? 0) + 1);
    const res = await settled(() => post('query($id: ID!) { node(id: $id) { ... on Dispute { status } } }', { id: c.id }));
    if (res.body.data?.node?.status !== c.outcome) reportedButOpen += 1;
  }
  const executed = Object.fromEntries(sandbox.fakes.map(({ name, fake }) => [name, fake.closesExecuted()]));
  let doubled = 0;
  for (const { name } of sandbox.fakes) doubled += Math.max(0, executed[name]! - (succeeded.get(name) ?? 0));

  // The fakes' request logs are the run's instrumentation, not the gateway's: drop them, then
  // measure with the gateway still up (its loaders, pools, breakers and idempotency records).
  for (const { fake } of sandbox.fakes) fake.server.requests.length = 0;
  const heapEnd = heapAfterGc();
  for (const c of clients) await c.close();
  for (const g of gateways) await g.close();
  for (const s of states) await s?.close();
  await redisServer?.stop();
  await sandbox.close();

  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1);
  const heapDelta = (heapEnd - heapStart) / heapStart;
  const faults = sandbox.fakes.reduce(
    (acc, { fake }) => {
      for (const [k, v] of Object.entries(fake.server.faultsServed)) acc[k] = (acc[k] ?? 0) + v;
      return acc;
    },
    {} as Record<string, number>,
  );
  const crashes = stats.unhandledRejections + stats.uncaughtExceptions;
  const figures = {
    replicas: REPLICAS,
    sharedState: REDIS ? 'redis' : 'memory',
    requests: REQUESTS,
    concurrency: CONCURRENCY,
    seconds: Number(seconds.toFixed(2)),
    requestsPerSecond: Number((REQUESTS / seconds).toFixed(1)),
    latencyMs: { p50: Number(pct(50)), p99: Number(pct(99)) },
    faultsInjected: faults,
    waitedForBreakersMs,
    errorsByCode: Object.fromEntries(errorsByCode),
    untypedErrors: untyped,
    unexpectedHttpStatus: badStatus,
    crashes,
    warningLogLines: logLines,
    closes: {
      asked: closeKeys.size,
      succeeded: [...succeeded.values()].reduce((a, b) => a + b, 0),
      reportedButOpen,
      unsettled,
      doubled,
      executedUpstream: executed,
    },
    heapMiB: { start: Number((heapStart / 2 ** 20).toFixed(1)), end: Number((heapEnd / 2 ** 20).toFixed(1)), change: `${(heapDelta * 100).toFixed(1)}%` },
  };
  console.log(JSON.stringify(figures, null, 2));
  const breaches = [
    crashes > 0 && 'the gateway logged unhandled errors',
    untyped > 0 && 'some errors had no known extensions.code',
    badStatus > 0 && 'some answers had an unexpected HTTP status',
    (reportedButOpen > 0 || unsettled > 0) && 'a close was lost',
    doubled > 0 && 'a close was carried out twice',
    heapDelta > 0.1 && 'the heap grew more than 10%',
  ].filter(Boolean);
  console.log(breaches.length ? `load: FAILED: ${breaches.join('; ')}` : 'load: OK: no crash, every error typed, no close lost or doubled, heap within 10%');
  process.exit(breaches.length ? 1 : 0);
}

const redis0 = (states: (RedisState | null)[]) => states.some((s) => s !== null);

/** Until every replica's Redis connection is ready (they connect as they start). */
async function waitForRedis(states: (RedisState | null)[]): Promise<void> {
  for (let i = 0; i < 100 && !states.every((s) => s?.healthy()); i++) await new Promise((r) => setTimeout(r, 50));
  if (!states.every((s) => s?.healthy())) throw new Error('redis did not become ready');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

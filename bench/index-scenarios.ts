// The index scenarios of `npm run bench` (issue 25), over BENCH_INDEX_DISPUTES disputes (100,000)
// spread evenly over the four providers' fakes, in a fakes process of their own:
//   inbox: open disputes by deadline, a page of 50 with totalCount, from a gateway with INDEX=on
//          whose accounts are all LIVE; beside it the same page asked of a gateway with INDEX=off
//          over the same fakes (the live path: no deadline order, no count), for its memory;
//   stats: the aggregate API over every dispute, disputeStats(groupBy: [PROVIDER, STATUS, CURRENCY]); beside it the
//          stand-in the issue named before that API existed, a totalCount with the same filter.
// Before any load: the backfill timed from the indexed gateway's start to every account LIVE,
// against a bare list walk of the same fakes (walk.ts) before and after it; and the RSS of both
// gateways at rest. Each answer is checked against the fakes' own data before it is timed.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Agent } from 'undici';
import { request } from 'undici';
import type { DisputeStatus } from '../src/domain/dispute.js';
import { MERGED_FIELDS } from './shapes.js';
import { walkLists, type Walk } from './walk.js';

export const INDEX_SCENARIOS = ['inbox', 'stats'];
export const INDEX_LABELS: Record<string, string> = {
  inbox: 'inbox: open, by deadline, 50 + totalCount',
  stats: 'stats: disputeStats by provider, status and currency',
};
const INBOX: DisputeStatus[] = ['NEEDS_RESPONSE', 'WARNING_NEEDS_RESPONSE'];
const STATS: DisputeStatus[] = ['WON', 'LOST'];
const INBOX_FIELDS = `${MERGED_FIELDS} reason evidenceDetails { dueBy }`;
const open = `status: [${INBOX.join(', ')}]`;
export const INDEX_QUERIES = {
  inbox: `{ disputes(first: 50, orderBy: { field: DUE_BY, direction: ASC }, filter: { ${open} }) { totalCount nodes { ${INBOX_FIELDS} } } }`,
  // The nearest the live path answers: the same page without the deadline order (totalCount is null there).
  live: `{ disputes(first: 50, filter: { ${open} }) { totalCount nodes { ${INBOX_FIELDS} } } }`,
  stats: `{ disputeStats(groupBy: [PROVIDER, STATUS, CURRENCY]) { groups { provider status currency count won lost winRate open dueWithin24h dueWithin72h pastDue amounts { currency amount } } } }`,
  totalCount: `{ disputes(first: 1, filter: { status: [${STATS.join(', ')}] }) { totalCount } }`,
};
const STATUS_QUERY = '{ indexStatus { provider account state disputes } }';

type Child = (script: string, env: Record<string, string>, args?: string[]) => Promise<{ proc: ChildProcess; first: Record<string, any> }>;
export interface Load {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  upstreamPerOp: number;
}

const status = (pid: number, field: 'VmHWM' | 'VmRSS'): number => {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};
/** Linux's peak RSS (VmHWM) starts again from the current RSS: the peak of what follows alone. */
const resetPeak = (pid: number) => writeFileSync(`/proc/${pid}/clear_refs`, '5');
const settle = () => new Promise((r) => setTimeout(r, 1000));
/** A GraphQL POST that gives up after a minute rather than hang the run. */
const ASKED = { method: 'POST', headers: { 'content-type': 'application/json' }, headersTimeout: 60_000, bodyTimeout: 60_000 } as const;

/** The gateway's own account of its memory (prom-client's process and Node.js gauges), in MiB. */
async function memoryOf(agent: Agent, graphqlUrl: string): Promise<Record<string, number>> {
  const res = await request(new URL('/metrics', graphqlUrl), { dispatcher: agent });
  const text = await res.body.text();
  const gauge = (name: string) => Math.round(Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20);
  return {
    rss: gauge('process_resident_memory_bytes'),
    heapTotal: gauge('nodejs_heap_size_total_bytes'),
    heapUsed: gauge('nodejs_heap_size_used_bytes'),
    external: gauge('nodejs_external_memory_bytes'),
  };
}

/** Progress on stderr: the preparation takes minutes at full size. */
const note = (what: string) => console.error(`bench: index: ${what}`);

/**
 * `connections` clients each sending the query again as soon as its answer is in, for `seconds`,
 * then waiting for the answers still out: answers per second over the whole time. (autocannon
 * counts only what is answered within its window: an operation slower than the window divided by
 * the connections, as a count over 100,000 disputes is, would measure 0.)
 */
async function closedLoop(agent: Agent, url: string, body: string, connections: number, seconds: number): Promise<Load> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        let failed: string | null = null;
        try {
          const res = await request(url, { ...ASKED, dispatcher: agent, body });
          const answer = (await res.body.json()) as { errors?: unknown };
          if (res.statusCode !== 200 || answer.errors) failed = `${res.statusCode} ${JSON.stringify(answer.errors)}`;
        } catch (err) {
          failed = String(err);
        }
        // The first failure of a run is shown: the count alone would not say what went wrong.
        if (failed !== null && (errors += 1) === 1) note(`${body.slice(0, 60)}… failed: ${failed.slice(0, 300)}`);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return { rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), requests: latencies.length, errors, upstreamPerOp: NaN };
}

export interface IndexBench {
  /** One measurement of a scenario's variant at `c` connections. */
  runs: Record<string, Record<string, (c: number) => Promise<Load>>>;
  /** Upstream calls per operation, counted at the fakes. */
  perOp: Record<string, Record<string, number>>;
  report(): Record<string, any>;
  stop(): void;
}

export async function prepareIndex(o: {
  disputes: number;
  child: Child;
  gatewayJs: string;
  /** The gateway's settings apart from the fakes and INDEX (port, auth, logging). */
  gatewayEnv: Record<string, string>;
  /** Node's arguments for the gateway with the index on (a CPU profile). */
  gatewayArgs: string[];
  agent: Agent;
  warmup: number;
  duration: number;
  /** How long both gateways' memory is watched after the backfill (RSS a second in, and at the end). */
  settleSeconds: number;
}): Promise<IndexBench> {
  const ask = async (url: string, query: string) => {
    const res = await request(url, { ...ASKED, dispatcher: o.agent, body: JSON.stringify({ query }) });
    const body = (await res.body.json()) as { data?: any; errors?: unknown };
    if (body.errors || !body.data) throw new Error(`index scenarios: ${query.slice(0, 60)}… answered ${JSON.stringify(body).slice(0, 400)}`);
    return body.data;
  };
  const perProvider = Math.floor(o.disputes / 4);
  const fakesStarted = performance.now();
  const fakes = await o.child('bench/fakes.ts', { BENCH_FAKES_COUNT: String(perProvider) });
  const fakesSeconds = (performance.now() - fakesStarted) / 1000;
  note(`fakes up with ${perProvider} disputes each in ${fakesSeconds.toFixed(1)} s; walking their lists`);
  const env: Record<string, string> = fakes.first.env;
  const statuses: Partial<Record<DisputeStatus, number>> = fakes.first.statuses;
  const expected = (wanted: DisputeStatus[]) => wanted.reduce((n, s) => n + (statuses[s] ?? 0), 0);
  const counts = async () => {
    const c = (await (await request(`${fakes.first.control}/counts`, { dispatcher: o.agent })).body.json()) as Record<string, number>;
    return Object.values(c).reduce((a, b) => a + b, 0);
  };

  const walks: Walk[] = [await walkLists(env)];
  note(`walked in ${walks[0]!.seconds.toFixed(1)} s; starting the gateway with INDEX=on`);
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-index-'));
  // Gone however the run ends, a failed check included.
  process.once('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  // Reconciliation (a re-walk back to the oldest open dispute) is kept out of the measurements, and
  // so are deadline reminders (BENCH_INDEX_REMINDERS=on keeps them): the seeded deadlines put
  // thousands of disputes inside the windows at once, and their events are the event history's
  // memory (EVENT_RETENTION_COUNT), not the index's, which the RSS target is about.
  const reminders: Record<string, string> = process.env.BENCH_INDEX_REMINDERS === 'on' ? {} : { DEADLINE_REMINDERS: 'off' };
  const base = { ...o.gatewayEnv, ...env, INDEX_RECONCILE_EVERY_S: '3600', ...reminders };
  const started = performance.now();
  const indexed = await o.child(o.gatewayJs, { ...base, INDEX: 'on', DATA_DIR: dataDir }, o.gatewayArgs);
  const readySeconds = (performance.now() - started) / 1000;
  const url: string = indexed.first.url;
  let accounts: { state: string; disputes: number }[] = [];
  for (;;) {
    accounts = (await ask(url, STATUS_QUERY)).indexStatus;
    if (accounts.every((a) => a.state === 'LIVE')) break;
    if (performance.now() - started > 30 * 60_000) throw new Error(`index scenarios: not LIVE after 30 minutes: ${JSON.stringify(accounts)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const backfillSeconds = (performance.now() - started) / 1000;
  const indexedCount = accounts.reduce((n, a) => n + a.disputes, 0);
  const held = Object.values(fakes.first.held as Record<string, number>).reduce((a, b) => a + b, 0);
  if (indexedCount !== held || walks[0]!.disputes !== held)
    throw new Error(`index scenarios: ${indexedCount} disputes indexed, ${walks[0]!.disputes} walked, ${held} at the fakes`);
  const peakBackfill = status(indexed.proc.pid!, 'VmHWM');
  const off = await o.child(o.gatewayJs, { ...base, INDEX: 'off', DATA_DIR: dataDir });
  note(`every account LIVE after ${backfillSeconds.toFixed(1)} s; walking again, and both gateways' memory watched for ${o.settleSeconds} s`);
  // RSS a second after (the backfill's garbage still held) and at rest: V8 gives memory it no longer
  // uses back to the system only after some idle seconds. Both gateways are read at the same moments.
  const rss = () => ({ indexed: status(indexed.proc.pid!, 'VmRSS'), off: status(off.proc.pid!, 'VmRSS') });
  const [, memory] = await Promise.all([
    walkLists(env).then((w) => walks.push(w)),
    (async () => {
      await settle();
      const first = rss();
      await new Promise((r) => setTimeout(r, Math.max(0, o.settleSeconds - 1) * 1000));
      return { first, rest: rss(), reported: { indexed: await memoryOf(o.agent, url), off: await memoryOf(o.agent, off.first.url) } };
    })(),
  ]);
  note(`walked in ${walks[1]!.seconds.toFixed(1)} s`);
  const indexedRss = { peakBackfill, afterBackfill: memory.first.indexed, atRest: memory.rest.indexed };
  const offRss = { afterStart: memory.first.off, atRest: memory.rest.off };

  // The answers, checked before anything is timed.
  const inbox = (await ask(url, INDEX_QUERIES.inbox)).disputes;
  const due = inbox.nodes.map((n: any) => Date.parse(n.evidenceDetails.dueBy));
  if (inbox.nodes.length !== 50 || inbox.totalCount !== expected(INBOX) || due.some((t: number, i: number) => i > 0 && t < due[i - 1]))
    throw new Error(`index scenarios: the inbox is not the 50 earliest due of ${expected(INBOX)}: ${JSON.stringify(inbox).slice(0, 400)}`);
  const groups: { count: number; won: number; lost: number }[] = (await ask(url, INDEX_QUERIES.stats)).disputeStats.groups;
  const sum = (f: (g: (typeof groups)[number]) => number) => groups.reduce((n, g) => n + f(g), 0);
  const totalCount = (await ask(url, INDEX_QUERIES.totalCount)).disputes.totalCount;
  const all = Object.values(statuses).reduce((a, b) => a + b, 0);
  if (sum((g) => g.count) !== all || sum((g) => g.won + g.lost) !== expected(STATS) || totalCount !== expected(STATS))
    throw new Error(`index scenarios: stats counted ${JSON.stringify(groups)} and ${totalCount}, the fakes hold ${expected(STATS)}`);
  const live = (await ask(off.first.url, INDEX_QUERIES.live)).disputes;
  if (live.nodes.length !== 50 || [...inbox.nodes, ...live.nodes].some((n: any) => !INBOX.includes(n.status)))
    throw new Error(`index scenarios: the pages hold other statuses: ${JSON.stringify(live).slice(0, 400)}`);

  const probe = async (u: string, query: string) => {
    const before = await counts();
    for (let i = 0; i < 5; i++) await ask(u, query);
    return ((await counts()) - before) / 5;
  };
  const perOp = {
    inbox: { gateway: await probe(url, INDEX_QUERIES.inbox), live: await probe(off.first.url, INDEX_QUERIES.live) },
    stats: { gateway: await probe(url, INDEX_QUERIES.stats), totalCount: await probe(url, INDEX_QUERIES.totalCount) },
  };

  note('answers checked; ready to measure');
  const load = async (u: string, query: string, c: number) => {
    const body = JSON.stringify({ query });
    await closedLoop(o.agent, u, body, c, o.warmup);
    return closedLoop(o.agent, u, body, c, o.duration);
  };
  const peaks = { inbox: 0, live: 0 };
  /** A load whose peak RSS is read alone: the process's high-water mark reset before it. */
  const watched = (proc: ChildProcess, into: keyof typeof peaks, u: string, query: string) => async (c: number) => {
    resetPeak(proc.pid!);
    const m = await load(u, query, c);
    peaks[into] = Math.max(peaks[into], status(proc.pid!, 'VmHWM'));
    return m;
  };
  const runs = {
    inbox: { gateway: watched(indexed.proc, 'inbox', url, INDEX_QUERIES.inbox), live: watched(off.proc, 'live', off.first.url, INDEX_QUERIES.live) },
    stats: { gateway: (c: number) => load(url, INDEX_QUERIES.stats, c), totalCount: (c: number) => load(url, INDEX_QUERIES.totalCount, c) },
  };

  const backfillRate = indexedCount / backfillSeconds;
  return {
    runs,
    perOp,
    report: () => ({
      disputes: indexedCount,
      perProvider,
      fakes: { startSeconds: Number(fakesSeconds.toFixed(1)), peakRssMiB: status(fakes.proc.pid!, 'VmHWM') },
      expected: { inbox: expected(INBOX), stats: expected(STATS) },
      queries: INDEX_QUERIES,
      backfill: {
        seconds: Number(backfillSeconds.toFixed(2)),
        readySeconds: Number(readySeconds.toFixed(2)),
        perSecond: Math.round(backfillRate),
        walks: walks.map((w) => ({ seconds: Number(w.seconds.toFixed(2)), perSecond: Math.round(w.perSecond), calls: w.calls, disputes: w.disputes })),
        vsWalk: backfillRate / (walks.reduce((a, w) => a + w.perSecond, 0) / walks.length),
        vsWalkSpread: { min: Math.min(...walks.map((w) => backfillRate / w.perSecond)), max: Math.max(...walks.map((w) => backfillRate / w.perSecond)) },
      },
      rssMiB: {
        settleSeconds: o.settleSeconds,
        indexed: { ...indexedRss, peakInbox: peaks.inbox },
        off: { ...offRss, peakLoad: peaks.live },
        afterBackfillVsOff: indexedRss.afterBackfill / offRss.afterStart,
        atRestVsOff: indexedRss.atRest / offRss.atRest,
        // At rest, as each gateway reports it (/metrics): where the difference lies.
        reportedAtRest: memory.reported,
        peakInboxVsOff: peaks.inbox / peaks.live,
      },
    }),
    stop() {
      for (const p of [indexed.proc, off.proc, fakes.proc]) p.kill('SIGTERM');
      // Unlinked under the stopping gateway, the files go once it has closed them.
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

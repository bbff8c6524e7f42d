// Bench child for `--stores`: one embedded store candidate under the index's workload, alone in its
// process so its memory is its own. `node:sqlite` is the index's own embedded store (src/index/sqlite.ts,
// unchanged); `pglite` is PGlite (WASM PostgreSQL, from bench/stores/) in the same process, with the
// PostgreSQL store's tables (src/index/schema.ts) and the same SQL (src/index/sql.ts): one
// multi-row upsert per page, as that store writes.
//
//   argv: <node:sqlite|pglite> <empty folder> <disputes> <seconds per query>
// Prints one JSON line: upsert rate, inbox page and count rates, RSS, bytes on disk.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { Dispute, DisputeStatus } from '../src/domain/dispute.js';
import type { IndexFilter, IndexPage, IndexPageQuery, Observation } from '../src/index/model.js';
import { COLUMNS, indexedOf, newerThanStored, orderOf, rowOf, whereOf } from '../src/index/sql.js';
import { migrations } from '../src/index/schema.js';
import { openEmbeddedStore } from '../src/index/sqlite.js';
import { afterpayToDispute } from '../src/providers/afterpay/transformers.js';
import { seedAfterpayDisputes } from '../src/providers/afterpay/fake/seed.js';
import { flexToDispute } from '../src/providers/flex/transformers.js';
import { seedFlexDisputes } from '../src/providers/flex/fake/seed.js';
import { stripeToDispute } from '../src/providers/stripe/transformers.js';
import { wooshpayToDispute } from '../src/providers/wooshpay/transformers.js';
import { seedWooshPayDisputes } from '../src/providers/wooshpay/fake/seed.js';
import { seedStripeDisputes } from '../src/sandbox/stripe-shape/seed.js';
import { sandboxEpoch } from '../src/sandbox/random.js';

export const INBOX_STATUSES: DisputeStatus[] = ['NEEDS_RESPONSE', 'WARNING_NEEDS_RESPONSE'];
export const STATS_STATUSES: DisputeStatus[] = ['WON', 'LOST'];

interface Candidate {
  apply(o: readonly Observation[]): Promise<unknown>;
  page(q: IndexPageQuery): Promise<IndexPage>;
  count(f: IndexFilter): Promise<number>;
  close(): Promise<void>;
}

async function openPglite(dir: string): Promise<Candidate> {
  const entry = join(new URL('./stores/', import.meta.url).pathname, 'node_modules/@electric-sql/pglite/dist/index.js');
  const { PGlite } = (await import(pathToFileURL(entry).href)) as { PGlite: new (dir: string) => any };
  const db = new PGlite(dir);
  await db.waitReady;
  for (const step of migrations('postgres')) await db.exec(step);
  const head = `INSERT INTO disputes (${COLUMNS.join(', ')}) VALUES `;
  const tail =
    ` ON CONFLICT (provider, account, provider_dispute_id) DO UPDATE SET ` +
    COLUMNS.filter((c) => !['provider', 'account', 'provider_dispute_id'].includes(c))
      .map((c) => `${c} = excluded.${c}`)
      .join(', ') +
    ` WHERE ${newerThanStored('disputes', 'excluded')}`;
  return {
    async apply(observations) {
      const now = new Date();
      const params: unknown[] = [];
      const values = observations
        .map(
          (o) =>
            `(${rowOf(o, now)
              .map((v) => `$${params.push(v)}`)
              .join(', ')})`,
        )
        .join(', ');
      await db.query(head + values + tail, params);
    },
    async page(q) {
      const params: (string | number)[] = [];
      const where = whereOf(q.filter, (v) => `$${params.push(v)}`);
      const sql = `SELECT body, synced_ms FROM disputes WHERE ${where.join(' AND ')} ORDER BY ${orderOf(q.order, q.direction)} LIMIT ${q.limit + 1}`;
      const rows = (await db.query(sql, params)).rows as { body: string; synced_ms: number | bigint }[];
      return { rows: rows.slice(0, q.limit).map((r) => indexedOf(r, q.order)), hasMore: rows.length > q.limit };
    },
    async count(f) {
      const params: (string | number)[] = [];
      const where = whereOf(f, (v) => `$${params.push(v)}`);
      return Number((await db.query(`SELECT count(*) AS n FROM disputes WHERE ${where.join(' AND ')}`, params)).rows[0].n);
    },
    async close() {
      await db.close();
    },
  };
}

/**
 * The index's rows, made a page at a time so memory stays flat: each provider's seeded wire
 * disputes (the fakes' own seeds) read by its own transformer, providers in turn, pages of 100.
 */
function* pages(total: number): Generator<Dispute[]> {
  const epoch = sandboxEpoch();
  const chunk = Math.min(2_500, Math.ceil(total / 4));
  const read: [string, (seed: number, n: number) => Dispute[]][] = [
    ['STRIPE', (s, n) => seedStripeDisputes(s, n, epoch).map((d) => stripeToDispute(d, 'default'))],
    ['WOOSHPAY', (s, n) => seedWooshPayDisputes(s, n, epoch).map((d) => wooshpayToDispute(d, 'default'))],
    ['FLEX', (s, n) => seedFlexDisputes(s, n, epoch).map((d) => flexToDispute(d, 'default', 'summary'))],
    ['AFTERPAY', (s, n) => seedAfterpayDisputes(s, n, epoch).map((d) => afterpayToDispute(d, 'default', { currency: 'usd', livemode: false }))],
  ];
  for (let made = 0, seed = 1; made < total; seed++) {
    for (const [, make] of read) {
      const n = Math.min(chunk, total - made);
      if (n <= 0) break;
      const disputes = make(seed, n);
      made += n;
      for (let i = 0; i < disputes.length; i += 100) yield disputes.slice(i, i + 100);
    }
  }
}

const status = (field: 'VmRSS' | 'VmHWM') =>
  Math.round(Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024);

function bytesUnder(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? bytesUnder(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return n;
}

/** Runs `op` back to back for `seconds` (after a short warm-up): operations per second and the median in ms. */
async function rate(seconds: number, op: () => Promise<unknown>): Promise<{ perSecond: number; p50Ms: number; runs: number }> {
  for (let i = 0; i < 5; i++) await op();
  const times: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    await op();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const total = times.reduce((a, b) => a + b, 0);
  return { perSecond: times.length / (total / 1000), p50Ms: Number(times[Math.floor(times.length / 2)]!.toFixed(3)), runs: times.length };
}

async function main() {
  const [kind, dir, disputesArg, secondsArg] = process.argv.slice(2);
  const total = Number(disputesArg);
  const seconds = Number(secondsArg);
  const rssBefore = status('VmRSS');
  let t = performance.now();
  const store: Candidate = kind === 'pglite' ? await openPglite(dir!) : await openEmbeddedStore(dir!);
  const openMs = performance.now() - t;

  let upsertMs = 0;
  let bodyBytes = 0;
  let rows = 0;
  for (const page of pages(total)) {
    const now = new Date();
    const observations = page.map((dispute) => ({ dispute, observedAt: now, source: 'backfill' as const }));
    for (const o of observations) bodyBytes += Buffer.byteLength(rowOf(o, now).at(-1) as string);
    t = performance.now();
    await store.apply(observations);
    upsertMs += performance.now() - t;
    rows += page.length;
  }
  const rssLoaded = status('VmRSS');
  const accountsAll = (['STRIPE', 'WOOSHPAY', 'FLEX', 'AFTERPAY'] as const).map((provider) => ({ provider, account: 'default' }));
  const held = await store.count({ accounts: accountsAll });
  if (held !== rows) throw new Error(`stores, ${kind}: ${rows} rows written, ${held} held`);

  const accounts = accountsAll;
  const inboxQuery: IndexPageQuery = {
    filter: { accounts, statuses: INBOX_STATUSES },
    order: { field: 'DUE_BY', direction: 'ASC' },
    direction: 'forward',
    limit: 50,
  };
  const first = await store.page(inboxQuery);
  if (first.rows.length !== 50 || !first.hasMore) throw new Error(`stores, ${kind}: the inbox page has ${first.rows.length} rows`);
  const inbox = await rate(seconds, () => store.page(inboxQuery));
  const statsFilter: IndexFilter = { accounts, statuses: STATS_STATUSES };
  const counted = await store.count(statsFilter);
  const count = await rate(seconds, () => store.count(statsFilter));
  const inboxCount = await store.count(inboxQuery.filter);
  const rssAfter = status('VmRSS');
  const peak = status('VmHWM');
  await store.close();
  process.stdout.write(
    `${JSON.stringify({
      kind,
      rows,
      meanBodyBytes: Math.round(bodyBytes / rows),
      openMs: Math.round(openMs),
      upsert: { seconds: Number((upsertMs / 1000).toFixed(2)), rowsPerSecond: Math.round(rows / (upsertMs / 1000)) },
      inbox,
      count: { ...count, counted, inboxCount },
      rssMiB: { beforeOpen: rssBefore, loaded: rssLoaded, afterQueries: rssAfter, peak },
      diskBytes: bytesUnder(dir!),
    })}\n`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

// The index on PostgreSQL (DATABASE_URL), which several replicas share: the same table and SQL as
// the embedded store (sql.ts), `$n` parameters, migrations under an advisory lock (replicas
// starting together migrate once), and the sync lease as a row (lease_holder, expiry).
import pg from 'pg';
import { isNewer, type DisputeRefKey, type Observation } from './model.js';
import { COLUMNS, newerThanStored, reminderInsertSql, rowOf, saveSyncSql, syncValues } from './sql.js';
import { SqlIndexStore } from './sql-store.js';
import { migrations } from './schema.js';
import { IndexUnavailable, type AccountSync, type IndexStore } from './store.js';

const MIGRATIONS = migrations('postgres');

const REMINDER_INSERT = reminderInsertSql((i) => `$${i}`);
const SAVE_SYNC = saveSyncSql((i) => `$${i}`);

/** The advisory lock id that serialises migrations ("dgindex" in hex). */
const MIGRATION_LOCK = 0x6467696e646578;

const UPSERT_HEAD = `INSERT INTO disputes (${COLUMNS.join(', ')}) VALUES `;
const UPSERT_TAIL =
  ` ON CONFLICT (provider, account, provider_dispute_id) DO UPDATE SET ` +
  COLUMNS.filter((c) => !['provider', 'account', 'provider_dispute_id'].includes(c))
    .map((c) => `${c} = excluded.${c}`)
    .join(', ') +
  ` WHERE ${newerThanStored('disputes', 'excluded')}`;

/**
 * Opens the index on PostgreSQL. A server that does not answer at start does not stop the gateway
 * (the live path serves without the index, as it does when the server goes away later): the
 * store says it is unreachable, and migrates on the first call that finds the server back.
 */
export async function openPostgresStore(url: string): Promise<IndexStore> {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 3_000, idleTimeoutMillis: 30_000 });
  // An idle client whose server went away: reported by the next query, never an uncaught error.
  pool.on('error', () => {});
  const store = new PostgresStore(pool);
  await store.ready().catch(() => {});
  return store;
}

async function migrate(pool: pg.Pool): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await c.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const row = (await c.query<{ version: number }>('SELECT version FROM schema_version')).rows[0];
    let version = row?.version ?? 0;
    if (!row) await c.query('INSERT INTO schema_version (version) VALUES (0)');
    if (version > MIGRATIONS.length) throw new Error(`the index is at schema version ${version}, newer than this gateway (${MIGRATIONS.length})`);
    for (; version < MIGRATIONS.length; version++) {
      await c.query('BEGIN');
      try {
        await c.query(MIGRATIONS[version]!);
        await c.query('UPDATE schema_version SET version = $1', [version + 1]);
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK');
        throw err;
      }
    }
  } finally {
    await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    c.release();
  }
}

/**
 * What a failed statement means: one the server refused (SQLSTATE outside the connection and
 * resource classes) is ours to fix and surfaces as it is; anything else is the server out of reach.
 */
function unreachable(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^(08|53|57)/.test(code)) return err;
  return new IndexUnavailable(`the index on PostgreSQL is unreachable: ${(err as Error).message}`, { cause: err });
}

/** Rows per INSERT: 19 parameters each, well under PostgreSQL's 65,535. */
const BATCH = 500;

class PostgresStore extends SqlIndexStore {
  readonly kind = 'postgres' as const;
  protected readonly dialect = 'postgres' as const;
  private migrated: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly pool: pg.Pool) {
    super();
  }

  protected placeholder(n: number): string {
    return `$${n}`;
  }

  protected async rows(sql: string, params: readonly (string | number | null)[]): Promise<Record<string, unknown>[]> {
    return (await this.query(sql, [...params])).rows;
  }

  /** Migrates once; a failed attempt (the server away) is tried again by the next call. */
  ready(): Promise<void> {
    this.migrated ??= migrate(this.pool).catch((err: unknown) => {
      this.migrated = null;
      throw new IndexUnavailable(`the index on PostgreSQL could not be opened: ${(err as Error).message}`, { cause: err });
    });
    return this.migrated;
  }

  /** A query once the schema is in place. */
  private async query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>> {
    if (this.closed) throw new IndexUnavailable('the index is closed');
    await this.ready();
    try {
      return await this.pool.query<R>(sql, params);
    } catch (err) {
      throw unreachable(err);
    }
  }

  async apply(observations: readonly Observation[], syncedAt = new Date(), checkpoint?: AccountSync): Promise<number> {
    const rows = observations.filter((o) => o.dispute.detail !== 'unreadable').map((o) => rowOf(o, syncedAt));
    return this.transaction(async (c) => {
      let changed = 0;
      for (let i = 0; i < rows.length; i += BATCH) {
        const batch = dedupe(rows.slice(i, i + BATCH));
        const params: unknown[] = [];
        const values = batch.map((r) => `(${r.map((v) => `$${params.push(v)}`).join(', ')})`).join(', ');
        changed += (await c.query(UPSERT_HEAD + values + UPSERT_TAIL, params)).rowCount ?? 0;
      }
      if (checkpoint) await c.query(SAVE_SYNC, syncValues(checkpoint));
      return changed;
    });
  }

  /** Statements on one connection in one transaction, rolled back whole on a failure. */
  private async transaction<T>(work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new IndexUnavailable('the index is closed');
    await this.ready();
    let c: pg.PoolClient;
    try {
      c = await this.pool.connect();
    } catch (err) {
      throw unreachable(err);
    }
    try {
      await c.query('BEGIN');
      const out = await work(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw unreachable(err);
    } finally {
      c.release();
    }
  }

  async claimReminder(ref: DisputeRefKey, window: string, passed: readonly string[], dueMs: number, nowMs: number): Promise<boolean> {
    return this.transaction(async (c) => {
      const values = (w: string, sent: number) => [ref.provider, ref.account, ref.providerDisputeId, w, dueMs, nowMs, sent];
      const claimed = ((await c.query(REMINDER_INSERT, values(window, 1))).rowCount ?? 0) === 1;
      if (claimed) for (const w of passed) await c.query(REMINDER_INSERT, values(w, 0));
      return claimed;
    });
  }

  async lease(holder: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const r = await this.query<{ holder: string }>(
      `INSERT INTO sync_lease (name, holder, expires_ms) VALUES ('sync', $1, $2)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms
       WHERE sync_lease.holder = excluded.holder OR sync_lease.expires_ms < $3
       RETURNING holder`,
      [holder, now + ttlMs, now],
    );
    return r.rows[0]?.holder === holder;
  }

  async releaseLease(holder: string): Promise<void> {
    await this.query(`DELETE FROM sync_lease WHERE name = 'sync' AND holder = $1`, [holder]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

const RANK = COLUMNS.indexOf('status_rank');
const SUBMISSIONS = COLUMNS.indexOf('submissions');
const OBSERVED = COLUMNS.indexOf('observed_ms');

/** One INSERT may not touch a row twice: of repeats in a batch, the newest by the never-regress rule stays. */
function dedupe(rows: (string | number | null)[][]): (string | number | null)[][] {
  const byKey = new Map<string, (string | number | null)[]>();
  const n = (r: (string | number | null)[], i: number) => Number(r[i]);
  const progress = (r: (string | number | null)[]) => ({ rank: n(r, RANK), submissions: n(r, SUBMISSIONS), observedMs: n(r, OBSERVED) });
  const newer = (a: (string | number | null)[], b: (string | number | null)[]) => isNewer(progress(a), progress(b));
  for (const r of rows) {
    const key = `${r[0]}\0${r[1]}\0${r[2]}`;
    const held = byKey.get(key);
    if (!held || newer(r, held)) byKey.set(key, r);
  }
  return [...byKey.values()];
}

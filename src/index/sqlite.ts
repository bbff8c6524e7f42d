// The embedded index: Node's own SQLite (node:sqlite) in a file under DATA_DIR, nothing to
// install. One process owns a DATA_DIR: SQLite's exclusive lock, held while the store is open,
// refuses a second one (across containers sharing a volume too), and a lock file names the holder
// for the message. Migrations are versioned and run at open.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync as Database } from 'node:sqlite';
import type { DisputeRefKey, Observation } from './model.js';
import { COLUMNS, newerThanStored, reminderInsertSql, rowOf, saveSyncSql, syncValues } from './sql.js';
import { SqlIndexStore } from './sql-store.js';
import { migrations } from './schema.js';
import { IndexUnavailable, type AccountSync, type IndexStore } from './store.js';

/** Each entry moves the schema one version up; applied in order, each once, in a transaction. */
const MIGRATIONS = migrations('sqlite');

const REMINDER_INSERT = reminderInsertSql((i) => `?${i}`);
const SAVE_SYNC = saveSyncSql((i) => `?${i}`);

const LOCK = 'index.lock';

/**
 * Who holds DATA_DIR, as its lock file says ("<pid> <host>"), for the message that refuses a second
 * process. The file only informs: SQLite's own exclusive lock on the database decides, which holds
 * across processes, and across containers sharing a volume, where process ids say nothing.
 */
function holderOf(dir: string): string {
  try {
    const [pid, host] = readFileSync(join(dir, LOCK), 'utf8').trim().split(' ');
    if (pid && /^\d+$/.test(pid)) return host ? `process ${pid} on ${host}` : `process ${pid}`;
  } catch {
    // No lock file, or unreadable: said plainly below.
  }
  return 'another process';
}

function inUse(dir: string, cause?: unknown): IndexUnavailable {
  return new IndexUnavailable(
    `DATA_DIR ${dir} is in use by ${holderOf(dir)}: the embedded index serves one process. Set DATABASE_URL to share an index on PostgreSQL between several`,
    { cause },
  );
}

/**
 * Takes the database's exclusive lock for as long as this connection lives (SQLite's locking mode
 * EXCLUSIVE, set before WAL so no shared memory is used), and records this process in the lock file.
 */
function takeLock(db: Database, dir: string): () => void {
  try {
    db.exec('PRAGMA busy_timeout = 0; PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; BEGIN IMMEDIATE; COMMIT;');
  } catch (err) {
    if (/locked|busy/i.test((err as Error).message)) throw inUse(dir, err);
    throw err;
  }
  const path = join(dir, LOCK);
  writeFileSync(path, `${process.pid} ${hostname()}`);
  return () => rmSync(path, { force: true });
}

/** node:sqlite, loaded on first use, with Node 22's one-time ExperimentalWarning for it kept out of the output. */
async function loadSqlite(): Promise<typeof import('node:sqlite')> {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (/SQLite is an experimental feature/.test(text)) return;
    return (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return await import('node:sqlite');
  } finally {
    process.emitWarning = emit;
  }
}

export async function openEmbeddedStore(dir: string): Promise<IndexStore> {
  mkdirSync(dir, { recursive: true });
  const { DatabaseSync } = await loadSqlite();
  const db = new DatabaseSync(join(dir, 'index.sqlite'));
  try {
    const unlock = takeLock(db, dir);
    db.exec('PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384; PRAGMA wal_autocheckpoint = 10000;');
    migrate(db);
    return new EmbeddedStore(db, unlock);
  } catch (err) {
    db.close();
    throw err;
  }
}

function migrate(db: Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  let version = row?.version ?? 0;
  if (!row) db.prepare('INSERT INTO schema_version (version) VALUES (0)').run();
  if (version > MIGRATIONS.length)
    throw new IndexUnavailable(`the index in DATA_DIR is at schema version ${version}, newer than this gateway (${MIGRATIONS.length})`);
  for (; version < MIGRATIONS.length; version++) {
    db.exec('BEGIN');
    try {
      db.exec(MIGRATIONS[version]!);
      db.prepare('UPDATE schema_version SET version = ?').run(version + 1);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
}

const UPSERT =
  `INSERT INTO disputes (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')}) ` +
  `ON CONFLICT (provider, account, provider_dispute_id) DO UPDATE SET ` +
  COLUMNS.filter((c) => !['provider', 'account', 'provider_dispute_id'].includes(c))
    .map((c) => `${c} = excluded.${c}`)
    .join(', ') +
  ` WHERE ${newerThanStored('disputes', 'excluded')}`;

class EmbeddedStore extends SqlIndexStore {
  readonly kind = 'embedded' as const;
  protected readonly dialect = 'sqlite' as const;
  private closed = false;

  constructor(
    private readonly db: Database,
    private readonly unlock: () => void,
  ) {
    super();
  }

  private open(): Database {
    if (this.closed) throw new IndexUnavailable('the index is closed');
    return this.db;
  }

  protected placeholder(n: number): string {
    return `?${n}`;
  }

  protected async rows(sql: string, params: readonly (string | number | null)[]): Promise<Record<string, unknown>[]> {
    return this.open()
      .prepare(sql)
      .all(...params) as Record<string, unknown>[];
  }

  /** Statements in one transaction, rolled back whole on a failure. */
  private transaction<T>(work: (db: Database) => T): T {
    const db = this.open();
    db.exec('BEGIN');
    try {
      const out = work(db);
      db.exec('COMMIT');
      return out;
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }

  async apply(observations: readonly Observation[], syncedAt = new Date(), checkpoint?: AccountSync): Promise<number> {
    return this.transaction((db) => {
      const upsert = db.prepare(UPSERT);
      let changed = 0;
      for (const o of observations) if (o.dispute.detail !== 'unreadable') changed += Number(upsert.run(...rowOf(o, syncedAt)).changes);
      if (checkpoint) db.prepare(SAVE_SYNC).run(...syncValues(checkpoint));
      return changed;
    });
  }

  async claimReminder(ref: DisputeRefKey, window: string, passed: readonly string[], dueMs: number, nowMs: number): Promise<boolean> {
    return this.transaction((db) => {
      const insert = db.prepare(REMINDER_INSERT);
      const claimed = Number(insert.run(ref.provider, ref.account, ref.providerDisputeId, window, dueMs, nowMs, 1).changes) === 1;
      if (claimed) for (const w of passed) insert.run(ref.provider, ref.account, ref.providerDisputeId, w, dueMs, nowMs, 0);
      return claimed;
    });
  }

  async lease(): Promise<boolean> {
    this.open();
    return true;
  }

  async releaseLease(): Promise<void> {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
    this.unlock();
  }
}

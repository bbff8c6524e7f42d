// What both stores do the same way, written once: every read (pages, counts, aggregates, reminders
// due, checkpoints) is SQL from sql.ts run through two primitives each store supplies — its
// parameter placeholder and a query that returns rows. Writes that need a transaction (apply,
// claiming a reminder), the lease and the connection stay each store's own.
import type { ProviderName } from '../domain/dispute.js';
import { accountKey } from '../domain/ids.js';
import {
  DEFAULT_ORDER,
  type DisputeRefKey,
  type DueReminder,
  type IndexFilter,
  type IndexPage,
  type IndexPageQuery,
  type Observation,
  type ReminderWindow,
  type StatsDimension,
  type StatsRow,
} from './model.js';
import type { Dialect } from './schema.js';
import { indexedOf, keysetOf, orderOf, remindersDueSql, saveSyncSql, statsRowOf, statsSql, syncOf, syncValues, whereOf } from './sql.js';
import type { AccountSync, IndexStore } from './store.js';

type Value = string | number | null;
type Row = Record<string, unknown>;

/** Refs looked up per query (three parameters each). */
const REFS_PER_QUERY = 200;

export abstract class SqlIndexStore implements IndexStore {
  abstract readonly kind: 'embedded' | 'postgres';
  protected abstract readonly dialect: Dialect;
  /** The n-th parameter's placeholder (1-based): `?n` or `$n`. */
  protected abstract placeholder(n: number): string;
  /** Runs one statement: its rows (none for a write). */
  protected abstract rows(sql: string, params: readonly Value[]): Promise<Row[]>;

  abstract apply(observations: readonly Observation[], syncedAt?: Date, checkpoint?: AccountSync): Promise<number>;
  abstract claimReminder(ref: DisputeRefKey, window: string, passed: readonly string[], dueMs: number, nowMs: number): Promise<boolean>;
  abstract lease(holder: string, ttlMs: number): Promise<boolean>;
  abstract releaseLease(holder: string): Promise<void>;
  abstract close(): Promise<void>;

  /** A statement's parameters, and the function that adds one and answers its placeholder. */
  private params(): { values: Value[]; param: (v: string | number) => string } {
    const values: Value[] = [];
    return { values, param: (v) => this.placeholder(values.push(v)) };
  }

  async page(q: IndexPageQuery): Promise<IndexPage> {
    const { values, param } = this.params();
    const where = whereOf(q.filter, param);
    if (q.after) where.push(keysetOf(q.order, q.after, 'after', param));
    if (q.before) where.push(keysetOf(q.order, q.before, 'before', param));
    const sql = `SELECT body, synced_ms FROM disputes WHERE ${where.join(' AND ')} ORDER BY ${orderOf(q.order, q.direction)} LIMIT ${q.limit + 1}`;
    const rows = (await this.rows(sql, values)) as { body: string; synced_ms: number }[];
    const hasMore = rows.length > q.limit;
    const page = rows.slice(0, q.limit).map((r) => indexedOf(r, q.order));
    return { rows: q.direction === 'backward' ? page.reverse() : page, hasMore };
  }

  async count(filter: IndexFilter): Promise<number> {
    const { values, param } = this.params();
    const [row] = await this.rows(`SELECT count(*) AS n FROM disputes WHERE ${whereOf(filter, param).join(' AND ')}`, values);
    return Number(row!.n);
  }

  async stats(filter: IndexFilter, groupBy: readonly StatsDimension[], nowMs: number): Promise<StatsRow[]> {
    const { values, param } = this.params();
    return (await this.rows(statsSql(filter, groupBy, nowMs, param, this.dialect), values)).map(statsRowOf);
  }

  async remindersDue(windows: readonly ReminderWindow[], nowMs: number, limit: number, refs?: readonly DisputeRefKey[]): Promise<DueReminder[]> {
    if (windows.length === 0 || refs?.length === 0) return [];
    const { values, param } = this.params();
    const rows = (await this.rows(remindersDueSql(windows, nowMs, limit, param, refs), values)) as { body: string; synced_ms: number; window_label: string }[];
    return rows.map((r) => ({ dispute: indexedOf(r, DEFAULT_ORDER).dispute, window: r.window_label }));
  }

  async syncedAt(refs: readonly DisputeRefKey[]): Promise<(Date | null)[]> {
    const at = new Map<string, Date>();
    const key = (p: unknown, a: unknown, id: unknown) => `${p}\0${a}\0${id}`;
    for (let i = 0; i < refs.length; i += REFS_PER_QUERY) {
      const { values, param } = this.params();
      const any = refs
        .slice(i, i + REFS_PER_QUERY)
        .map((r) => `(provider = ${param(r.provider)} AND account = ${param(r.account)} AND provider_dispute_id = ${param(r.providerDisputeId)})`);
      for (const row of await this.rows(`SELECT provider, account, provider_dispute_id, synced_ms FROM disputes WHERE ${any.join(' OR ')}`, values))
        at.set(key(row.provider, row.account, row.provider_dispute_id), new Date(Number(row.synced_ms)));
    }
    return refs.map((r) => at.get(key(r.provider, r.account, r.providerDisputeId)) ?? null);
  }

  async counts(): Promise<Map<string, number>> {
    const rows = await this.rows('SELECT provider, account, count(*) AS n FROM disputes GROUP BY provider, account', []);
    return new Map(rows.map((r) => [accountKey(r.provider as ProviderName, String(r.account)), Number(r.n)]));
  }

  async sync(provider: ProviderName, account: string): Promise<AccountSync | null> {
    const { values, param } = this.params();
    const [row] = await this.rows(`SELECT * FROM sync_accounts WHERE provider = ${param(provider)} AND account = ${param(account)}`, values);
    return row ? syncOf(row as Record<string, string | number | null>) : null;
  }

  async saveSync(s: AccountSync): Promise<void> {
    await this.rows(
      saveSyncSql((n) => this.placeholder(n)),
      syncValues(s),
    );
  }

  async ping(): Promise<void> {
    await this.rows('SELECT 1', []);
  }
}

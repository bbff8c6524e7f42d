// The SQL both stores share: the table's columns, a filter's WHERE, an order and its keyset. Each
// store binds parameters in its own style (`?` or `$n`), so the builders take a `param` function.
import { providerRank } from '../domain/provider-names.js';
import { decode, encode } from '../domain/serialize.js';
import type { Dispute, DisputeReason, DisputeStatus, ProviderName } from '../domain/dispute.js';
import { AWAITING_RESPONSE, LOST_STATUSES, OPEN_STATUSES, WON_STATUSES } from '../domain/outcome.js';
import type { Dialect } from './schema.js';
import type { AccountSync } from './store.js';
import {
  orderValue,
  statusRank,
  APPEAL_RANK,
  FINAL_RANK,
  type IndexFilter,
  type IndexKey,
  type IndexOrder,
  type IndexedDispute,
  type Observation,
  type Range,
  type StatsDimension,
  type StatsRow,
  type ReminderWindow,
  type DisputeRefKey,
} from './model.js';

/** A missing deadline sorts after every real one (ascending). */
export const NO_DEADLINE = Number.MAX_SAFE_INTEGER;

const ORDER_COLUMN: Record<IndexOrder['field'], string> = { CREATED: 'created_ms', DUE_BY: 'due_key', AMOUNT: 'amount' };

/** The values of one row, in COLUMNS order. */
export const COLUMNS = [
  'provider',
  'account',
  'provider_dispute_id',
  'provider_rank',
  'created_ms',
  'due_ms',
  'due_key',
  'amount',
  'currency',
  'status',
  'reason',
  'charge',
  'payment_intent',
  'email',
  'status_rank',
  'submissions',
  'observed_ms',
  'synced_ms',
  'body',
] as const;

export function rowOf(o: Observation, syncedAt: Date): (string | number | null)[] {
  const d = o.dispute;
  const due = d.evidenceDetails.dueBy?.getTime() ?? null;
  const { unreadable: _, ...storable } = d;
  return [
    d.provider,
    d.providerAccount,
    d.providerDisputeId,
    providerRank(d.provider),
    d.created.getTime(),
    due,
    due ?? NO_DEADLINE,
    d.amount,
    d.currency,
    d.status,
    d.reason,
    d.charge,
    d.paymentIntent,
    d.evidence.customerEmailAddress?.toLowerCase() ?? null,
    statusRank(d.status),
    d.evidenceDetails.submissionCount,
    o.observedAt.getTime(),
    syncedAt.getTime(),
    encode(storable),
  ];
}

/** The never-regress rule (model.ts isNewer) as the upsert's condition; `t` is the stored row, `x` the incoming one. */
export function newerThanStored(t: string, x: string): string {
  return (
    `${x}.status_rank > ${t}.status_rank OR (${x}.status_rank = ${t}.status_rank AND ${x}.submissions >= ${t}.submissions ` +
    `AND ${x}.observed_ms >= ${t}.observed_ms) OR (${x}.status_rank = ${FINAL_RANK} AND ${t}.status_rank >= ${APPEAL_RANK} ` +
    `AND ${x}.observed_ms >= ${t}.observed_ms)`
  );
}

export function indexedOf(row: { body: string; synced_ms: number | bigint }, order: IndexOrder): IndexedDispute {
  const dispute = decode<Dispute>(row.body);
  return { dispute, syncedAt: new Date(Number(row.synced_ms)), key: keyOf(dispute, order) };
}

export function keyOf(d: Dispute, order: IndexOrder): IndexKey {
  return { value: orderValue(d, order.field), providerRank: providerRank(d.provider), account: d.providerAccount, providerDisputeId: d.providerDisputeId };
}

type Param = (value: string | number) => string;

function range(column: string, r: Range | undefined, param: Param, out: string[]): void {
  if (!r) return;
  if (r.gt !== undefined) out.push(`${column} > ${param(r.gt)}`);
  if (r.gte !== undefined) out.push(`${column} >= ${param(r.gte)}`);
  if (r.lt !== undefined) out.push(`${column} < ${param(r.lt)}`);
  if (r.lte !== undefined) out.push(`${column} <= ${param(r.lte)}`);
}

const list = (values: readonly string[], param: Param) => values.map(param).join(', ');

/** The filter as conditions joined by AND (never empty: the accounts always narrow it). */
export function whereOf(f: IndexFilter, param: Param): string[] {
  const out: string[] = [];
  out.push(`(${f.accounts.map((a) => `(provider = ${param(a.provider)} AND account = ${param(a.account)})`).join(' OR ') || 'FALSE'})`);
  if (f.statuses) out.push(f.statuses.length ? `status IN (${list(f.statuses, param)})` : 'FALSE');
  if (f.reasons) out.push(f.reasons.length ? `reason IN (${list(f.reasons, param)})` : 'FALSE');
  if (f.currency !== undefined) out.push(`currency = ${param(f.currency)}`);
  if (f.charge !== undefined) out.push(`charge = ${param(f.charge)}`);
  if (f.paymentIntent !== undefined) out.push(`payment_intent = ${param(f.paymentIntent)}`);
  range('created_ms', f.created, param, out);
  if (f.dueBy) {
    out.push('due_ms IS NOT NULL');
    range('due_ms', f.dueBy, param, out);
  }
  range('amount', f.amount, param, out);
  if (f.search !== undefined) {
    const s = f.search;
    const any = [`provider_dispute_id = ${param(s)}`, `charge = ${param(s)}`, `payment_intent = ${param(s)}`, `email = ${param(s.toLowerCase())}`];
    const ref = f.searchRef;
    if (ref) any.push(`(provider = ${param(ref.provider)} AND account = ${param(ref.account)} AND provider_dispute_id = ${param(ref.providerDisputeId)})`);
    out.push(`(${any.join(' OR ')})`);
  }
  return out;
}

/**
 * ORDER BY for a page read in `direction` (backward reads the order reversed, and the page is
 * turned round after), and the keyset conditions for `after`/`before`. Ties go by provider rank,
 * account and the provider's dispute id, ascending, whatever the direction: the order is total.
 */
export function orderOf(order: IndexOrder, direction: 'forward' | 'backward'): string {
  const column = ORDER_COLUMN[order.field];
  const flip = direction === 'backward';
  const main = (order.direction === 'ASC') !== flip ? 'ASC' : 'DESC';
  const tie = flip ? 'DESC' : 'ASC';
  return `${column} ${main}, provider_rank ${tie}, account ${tie}, provider_dispute_id ${tie}`;
}

/** Rows strictly past `key` in the order (`side` 'after'), or strictly ahead of it ('before'). */
export function keysetOf(order: IndexOrder, key: IndexKey, side: 'after' | 'before', param: Param): string {
  const column = ORDER_COLUMN[order.field];
  const value = key.value ?? (order.field === 'DUE_BY' ? NO_DEADLINE : 0);
  const later = (order.direction === 'ASC') === (side === 'after') ? '>' : '<';
  const tie = side === 'after' ? '>' : '<';
  const r = param(key.providerRank);
  const a = param(key.account);
  const p = param(key.providerDisputeId);
  const v = param(value);
  return (
    `(${column} ${later} ${v} OR (${column} = ${v} AND (provider_rank ${tie} ${r} OR (provider_rank = ${r} AND ` +
    `(account ${tie} ${a} OR (account = ${a} AND provider_dispute_id ${tie} ${p}))))))`
  );
}

/** The checkpoint's columns, in the order syncValues gives them. */
const SYNC_COLUMNS = [
  'provider',
  'account',
  'phase',
  'position',
  'listed',
  'total',
  'head_created_ms',
  'last_synced_ms',
  'last_error',
  'events_since_ms',
  'replay',
] as const;

/** The upsert of an account's checkpoint, with the store's parameter style. */
export function saveSyncSql(param: (i: number) => string): string {
  const rest = SYNC_COLUMNS.filter((c) => c !== 'provider' && c !== 'account');
  return (
    `INSERT INTO sync_accounts (${SYNC_COLUMNS.join(', ')}) VALUES (${SYNC_COLUMNS.map((_, i) => param(i + 1)).join(', ')}) ` +
    `ON CONFLICT (provider, account) DO UPDATE SET ${rest.map((c) => `${c} = excluded.${c}`).join(', ')}`
  );
}

export function syncValues(s: AccountSync): (string | number | null)[] {
  return [
    s.provider,
    s.account,
    s.phase,
    s.position,
    s.listed,
    s.total,
    s.headCreatedMs,
    s.lastSyncedAt?.getTime() ?? null,
    s.lastError,
    s.eventsSinceMs,
    s.replay,
  ];
}

export function syncOf(row: Record<string, string | number | null>): AccountSync {
  const num = (v: string | number | null | undefined) => (v === null || v === undefined ? null : Number(v));
  return {
    provider: row.provider as ProviderName,
    account: String(row.account),
    phase: row.phase === 'LIVE' ? 'LIVE' : 'BACKFILLING',
    position: row.position === null ? null : String(row.position),
    listed: Number(row.listed),
    total: num(row.total),
    headCreatedMs: num(row.head_created_ms),
    lastSyncedAt: row.last_synced_ms === null ? null : new Date(Number(row.last_synced_ms)),
    lastError: row.last_error === null ? null : String(row.last_error),
    eventsSinceMs: num(row.events_since_ms),
    replay: row.replay === 'on' || row.replay === 'off' ? row.replay : null,
  };
}

/** The dimensions' columns; CREATED_MONTH's expression is the dialect's. */
function dimensionColumns(groupBy: readonly StatsDimension[], dialect: Dialect): { select: string[]; group: string[] } {
  const month =
    dialect === 'postgres' ? `to_char(to_timestamp(created_ms / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM')` : `strftime('%Y-%m', created_ms / 1000, 'unixepoch')`;
  const cols: Record<StatsDimension, [string, string][]> = {
    PROVIDER: [['provider', 'provider']],
    ACCOUNT: [
      ['provider', 'provider'],
      ['account', 'account'],
    ],
    STATUS: [['status', 'status']],
    REASON: [['reason', 'reason']],
    CURRENCY: [],
    CREATED_MONTH: [[month, 'created_month']],
  };
  const seen = new Set<string>();
  const select: string[] = [];
  const group: string[] = [];
  for (const d of groupBy)
    for (const [expr, alias] of cols[d]) {
      if (seen.has(alias)) continue;
      seen.add(alias);
      select.push(expr === alias ? expr : `${expr} AS ${alias}`);
      group.push(expr);
    }
  return { select, group: [...group, 'currency'] };
}

const DAY_MS = 86_400_000;

/**
 * One GROUP BY over the filter: per group (and currency), the count, the summed amount, and the
 * outcome counts by the domain's rules (domain/outcome.ts); due counts are of disputes awaiting a
 * response, by their deadline against `nowMs`: within 24 h and 72 h ahead (72 h includes 24 h),
 * and past due.
 */
export function statsSql(filter: IndexFilter, groupBy: readonly StatsDimension[], nowMs: number, param: Param, dialect: Dialect): string {
  const where = whereOf(filter, param);
  const { select, group } = dimensionColumns(groupBy, dialect);
  const inList = (statuses: readonly string[]) => `status IN (${statuses.map((v) => `'${v}'`).join(', ')})`;
  const countIf = (cond: string, alias: string) => `sum(CASE WHEN ${cond} THEN 1 ELSE 0 END) AS ${alias}`;
  const awaiting = `${inList(AWAITING_RESPONSE)} AND due_ms IS NOT NULL`;
  const now = param(nowMs);
  return (
    `SELECT ${[...select, 'currency'].join(', ')}, count(*) AS n, sum(amount) AS amount, ` +
    [
      countIf(inList(WON_STATUSES), 'won'),
      countIf(inList(LOST_STATUSES), 'lost'),
      countIf(inList(OPEN_STATUSES), 'open'),
      countIf(`${awaiting} AND due_ms >= ${now} AND due_ms <= ${param(nowMs + DAY_MS)}`, 'due24'),
      countIf(`${awaiting} AND due_ms >= ${now} AND due_ms <= ${param(nowMs + 3 * DAY_MS)}`, 'due72'),
      countIf(`${awaiting} AND due_ms < ${now}`, 'past_due'),
    ].join(', ') +
    ` FROM disputes WHERE ${where.join(' AND ')} GROUP BY ${group.join(', ')}`
  );
}

/** A row of statsSql as the store gave it (PostgreSQL's sums come as strings). */
export function statsRowOf(r: Record<string, unknown>): StatsRow {
  const n = (v: unknown) => Number(v ?? 0);
  const s = <T extends string>(v: unknown) => (v === undefined || v === null ? null : (String(v) as T));
  return {
    provider: s<ProviderName>(r.provider),
    account: s(r.account),
    status: s<DisputeStatus>(r.status),
    reason: s<DisputeReason>(r.reason),
    currency: String(r.currency),
    createdMonth: s(r.created_month),
    count: n(r.n),
    amount: n(r.amount),
    won: n(r.won),
    lost: n(r.lost),
    open: n(r.open),
    dueWithin24h: n(r.due24),
    dueWithin72h: n(r.due72),
    pastDue: n(r.past_due),
  };
}

/**
 * Disputes awaiting a response whose deadline is ahead and within the largest window, each with
 * the smallest window it is inside, that have no reminder for that window yet: one query over the
 * (status, deadline) index. `refs` narrows it to some disputes (those that just changed).
 */
export function remindersDueSql(windows: readonly ReminderWindow[], nowMs: number, limit: number, param: Param, refs?: readonly DisputeRefKey[]): string {
  const sorted = [...windows].sort((a, b) => a.ms - b.ms);
  const now = param(nowMs);
  const smallest = `CASE ${sorted.map((w) => `WHEN due_key <= ${param(nowMs + w.ms)} THEN ${param(w.label)}`).join(' ')} END`;
  const where = [
    `status IN (${AWAITING_RESPONSE.map(param).join(', ')})`,
    `due_key > ${now}`,
    `due_key <= ${param(nowMs + sorted.at(-1)!.ms)}`,
    `due_ms IS NOT NULL`,
  ];
  if (refs) {
    where.push(
      `(${refs.map((r) => `(d.provider = ${param(r.provider)} AND d.account = ${param(r.account)} AND d.provider_dispute_id = ${param(r.providerDisputeId)})`).join(' OR ') || 'FALSE'})`,
    );
  }
  return (
    `SELECT body, synced_ms, window_label FROM (SELECT d.*, ${smallest} AS window_label FROM disputes d WHERE ${where.join(' AND ')}) c ` +
    `WHERE NOT EXISTS (SELECT 1 FROM reminders r WHERE r.provider = c.provider AND r.account = c.account ` +
    `AND r.provider_dispute_id = c.provider_dispute_id AND r.reminder_window = c.window_label) ORDER BY due_key LIMIT ${limit}`
  );
}

/** A reminder row: claimed and sent (1), or marked passed (0). ON CONFLICT DO NOTHING: whoever inserts first has it. */
export function reminderInsertSql(param: (i: number) => string): string {
  return (
    `INSERT INTO reminders (provider, account, provider_dispute_id, reminder_window, due_ms, claimed_ms, sent) ` +
    `VALUES (${[1, 2, 3, 4, 5, 6, 7].map(param).join(', ')}) ON CONFLICT DO NOTHING`
  );
}

// What the index needs of a store: the embedded one (sqlite.ts) and PostgreSQL's answer the same
// calls, and the same test suite runs over both.
import type { ProviderName } from '../domain/dispute.js';
import type { DisputeRefKey, DueReminder, IndexFilter, IndexPage, IndexPageQuery, Observation, ReminderWindow, StatsDimension, StatsRow } from './model.js';

/** An account's sync progress, checkpointed so a restart goes on where it stopped. */
export interface AccountSync {
  provider: ProviderName;
  account: string;
  /** BACKFILLING until the full walk and a sweep of the list head are done; then LIVE. */
  phase: 'BACKFILLING' | 'LIVE';
  /** The backfill's resume point: the list position after the last page stored (null: from the start). */
  position: string | null;
  /** Disputes listed so far by the backfill. */
  listed: number;
  /** The provider's total, where it tells (Afterpay). */
  total: number | null;
  /** The newest creation time seen when the walk began (epoch ms): the head sweep catches what came after. */
  headCreatedMs: number | null;
  lastSyncedAt: Date | null;
  lastError: string | null;
  /** Replay the provider's event list from events created at or after this (epoch ms; null: not yet set). */
  eventsSinceMs: number | null;
  /** 'off': the provider answered its event list with 404 or 403, so reconciliation re-reads instead; null: not tried yet. */
  replay: 'on' | 'off' | null;
}

export interface IndexStore {
  readonly kind: 'embedded' | 'postgres';
  /**
   * Applies each observation unless the row already holds a newer state; returns how many rows
   * changed. With `checkpoint`, the account's sync progress is saved in the same transaction (a
   * backfill page and its checkpoint land together, in one commit).
   */
  apply(observations: readonly Observation[], syncedAt?: Date, checkpoint?: AccountSync): Promise<number>;
  page(q: IndexPageQuery): Promise<IndexPage>;
  count(filter: IndexFilter): Promise<number>;
  /** The filter's disputes grouped (and split by currency), counted and summed by the store (sql.ts statsSql). */
  stats(filter: IndexFilter, groupBy: readonly StatsDimension[], nowMs: number): Promise<StatsRow[]>;
  /** Reminders to send now (sql.ts remindersDueSql), at most `limit`; `refs`: only among these disputes. */
  remindersDue(windows: readonly ReminderWindow[], nowMs: number, limit: number, refs?: readonly DisputeRefKey[]): Promise<DueReminder[]>;
  /**
   * Claims a dispute's reminder for `window`, once across processes and replicas, and in the same
   * transaction marks `passed` (larger windows it is already inside, which then never fire): true
   * for the one caller that claimed it.
   */
  claimReminder(ref: DisputeRefKey, window: string, passed: readonly string[], dueMs: number, nowMs: number): Promise<boolean>;
  /** When the index last had each of these disputes from its provider (null: it does not hold it). */
  syncedAt(refs: readonly { provider: ProviderName; account: string; providerDisputeId: string }[]): Promise<(Date | null)[]>;
  /** Disputes held per account. */
  counts(): Promise<Map<string, number>>;
  sync(provider: ProviderName, account: string): Promise<AccountSync | null>;
  saveSync(s: AccountSync): Promise<void>;
  /**
   * Takes or renews the sync lease for `holder` (one replica runs backfill and reconciliation at a
   * time); true while `holder` has it. It lapses `ttlMs` after the last renewal, so a replica that
   * dies hands over. The embedded store serves one process: always true.
   */
  lease(holder: string, ttlMs: number): Promise<boolean>;
  releaseLease(holder: string): Promise<void>;
  /** A cheap round trip: throws when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class IndexUnavailable extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'IndexUnavailable';
  }
}

/** Whether an error came from the store itself (not from the caller's input): the index is then unreachable. */
export function isStoreFailure(err: unknown): boolean {
  if (err instanceof IndexUnavailable) return true;
  const code = (err as { code?: unknown } | null)?.code;
  // node:sqlite's errors, and pg's connection and server errors (SQLSTATE classes 08, 53, 57).
  return code === 'ERR_SQLITE_ERROR' || (typeof code === 'string' && /^(08|53|57)|^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT)$/.test(code));
}

// disputeStats: the index's GROUP BY rows (split by currency in the store, since amounts only add
// up within one) folded into the groups asked for, in a stable order.
import { DISPUTE_REASONS, DISPUTE_STATUSES, type DisputeReason, type DisputeStatus, type ProviderName } from '../domain/dispute.js';
import { BadUserInput } from '../domain/errors.js';
import { accountKey } from '../domain/ids.js';
import { providerRank } from '../domain/provider-names.js';
import type { StatsDimension, StatsRow } from '../index/model.js';
import { indexFilterOf, type IndexEnv } from './indexed.js';
import type { ConnectionArgs } from './connection.js';

export interface StatsGroupModel {
  provider: ProviderName | null;
  account: string | null;
  status: DisputeStatus | null;
  reason: DisputeReason | null;
  currency: string | null;
  createdMonth: string | null;
  count: number;
  amounts: { currency: string; amount: number }[];
  won: number;
  lost: number;
  winRate: number | null;
  open: number;
  dueWithin24h: number;
  dueWithin72h: number;
  pastDue: number;
}

export interface StatsResult {
  groups: StatsGroupModel[];
  asOf: Date;
  complete: boolean;
  lagSeconds: number;
}

const DIMENSIONS: readonly StatsDimension[] = ['PROVIDER', 'ACCOUNT', 'STATUS', 'REASON', 'CURRENCY', 'CREATED_MONTH'];

/** The group a row falls in: its values of the dimensions asked for, the others null. */
function groupOf(
  row: StatsRow,
  by: ReadonlySet<StatsDimension>,
): Omit<StatsGroupModel, 'count' | 'amounts' | 'won' | 'lost' | 'winRate' | 'open' | 'dueWithin24h' | 'dueWithin72h' | 'pastDue'> {
  const byAccount = by.has('ACCOUNT');
  return {
    provider: by.has('PROVIDER') || byAccount ? row.provider : null,
    account: byAccount ? row.account : null,
    status: by.has('STATUS') ? row.status : null,
    reason: by.has('REASON') ? row.reason : null,
    currency: by.has('CURRENCY') ? row.currency : null,
    createdMonth: by.has('CREATED_MONTH') ? row.createdMonth : null,
  };
}

const STATUS_ORDER = new Map(DISPUTE_STATUSES.map((s, i) => [s, i]));
const REASON_ORDER = new Map(DISPUTE_REASONS.map((r, i) => [r, i]));
const cmp = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);
const cmpBy = <T>(order: Map<T, number>, a: T | null, b: T | null) => (a === null || b === null ? cmp(a as null, b as null) : order.get(a)! - order.get(b)!);

/** Groups in the dimensions' order: provider (the gateway's order), account, status and reason (the SDL's order), currency, month. */
function byDimensions(a: StatsGroupModel, b: StatsGroupModel): number {
  return (
    (a.provider && b.provider ? providerRank(a.provider) - providerRank(b.provider) : cmp(a.provider, b.provider)) ||
    cmp(a.account, b.account) ||
    cmpBy(STATUS_ORDER, a.status, b.status) ||
    cmpBy(REASON_ORDER, a.reason, b.reason) ||
    cmp(a.currency, b.currency) ||
    cmp(a.createdMonth, b.createdMonth)
  );
}

/** Folds the store's rows (group × currency) into the groups asked for. */
export function foldStats(rows: readonly StatsRow[], groupBy: readonly StatsDimension[]): StatsGroupModel[] {
  const by = new Set(groupBy);
  const groups = new Map<string, StatsGroupModel & { byCurrency: Map<string, number> }>();
  for (const row of rows) {
    const dims = groupOf(row, by);
    const key = JSON.stringify(dims);
    let g = groups.get(key);
    if (!g) {
      g = { ...dims, count: 0, amounts: [], won: 0, lost: 0, winRate: null, open: 0, dueWithin24h: 0, dueWithin72h: 0, pastDue: 0, byCurrency: new Map() };
      groups.set(key, g);
    }
    g.count += row.count;
    g.won += row.won;
    g.lost += row.lost;
    g.open += row.open;
    g.dueWithin24h += row.dueWithin24h;
    g.dueWithin72h += row.dueWithin72h;
    g.pastDue += row.pastDue;
    g.byCurrency.set(row.currency, (g.byCurrency.get(row.currency) ?? 0) + row.amount);
  }
  return [...groups.values()]
    .map(({ byCurrency, ...g }) => ({
      ...g,
      amounts: [...byCurrency].sort(([a], [b]) => cmp(a, b)).map(([currency, amount]) => ({ currency, amount })),
      winRate: g.won + g.lost > 0 ? g.won / (g.won + g.lost) : null,
    }))
    .filter((g) => g.count > 0)
    .sort(byDimensions);
}

/** disputeStats over the index: the filter checked and narrowed to the caller's accounts, one store query. */
export async function statsFromIndex(
  env: IndexEnv,
  args: { filter?: ConnectionArgs['filter']; groupBy?: readonly StatsDimension[] | null },
  nowMs: number,
): Promise<StatsResult> {
  const groupBy = args.groupBy ?? [];
  if (new Set(groupBy).size !== groupBy.length) throw new BadUserInput('groupBy names a dimension twice', 'groupBy');
  for (const d of groupBy) if (!DIMENSIONS.includes(d)) throw new BadUserInput(`groupBy: unknown dimension ${d}`, 'groupBy');
  const filter = indexFilterOf(env.clients, args.filter);
  const rows = await env.index.store.stats(filter, groupBy, nowMs);
  const { asOf, complete, lagSeconds } = env.index.sync.freshness(filter.accounts.map((a) => accountKey(a.provider, a.account)));
  return { groups: foldStats(rows, groupBy), asOf, complete, lagSeconds };
}

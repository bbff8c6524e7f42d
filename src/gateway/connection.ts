// The disputes connection: Relay arguments over the merge of every selected provider's list.
//   first/after  -> each provider read after its position in the cursor (limit: page + 1)
//   last/before  -> each provider read before its position in the cursor (limit: page + 1)
//   last alone   -> each provider's oldest page + 1 (one call on offset lists, a bounded walk on
//                   Stripe-style lists, which have no call for their end)
// Filters go upstream where a provider supports them and are applied in the gateway otherwise.
import type { Clients } from '../providers/registry.js';
import { providerRank } from '../domain/provider-names.js';
import { DISPUTE_STATUSES, type Dispute, type DisputeReason, type DisputeStatus, type ProviderName } from '../domain/dispute.js';
import { BadUserInput, ProviderError } from '../domain/errors.js';
import type { CreatedRange, DisputeProviderClient, ListFilter } from '../providers/types.js';
import { decodeCursor, encodeCursor, filterFingerprint, type CursorKeys, type NormalizedFilter } from './cursor.js';
import { accountKey, isProviderId } from '../domain/ids.js';
import type { Loaders } from './loaders.js';
import { mergeBackward, mergeForward, type MergedPage, type MergeOptions, type ProviderPlan } from './merge.js';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 10;
export const DEFAULT_MERGE_OPTIONS: MergeOptions = { maxScanPages: 10, maxWalkPages: 100 };

export interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
  filter?: {
    provider?: ProviderName | null;
    providers?: readonly ProviderName[] | null;
    accounts?: readonly { provider: ProviderName; account: string }[] | null;
    status?: readonly DisputeStatus[] | null;
    currency?: string | null;
    charge?: string | null;
    paymentIntent?: string | null;
    created?: { gt?: Date | null; gte?: Date | null; lt?: Date | null; lte?: Date | null } | null;
    /** Index-only filters (gateway/indexed.ts): the live path refuses them. */
    dueBy?: { gt?: Date | null; gte?: Date | null; lt?: Date | null; lte?: Date | null } | null;
    amount?: { gt?: number | null; gte?: number | null; lt?: number | null; lte?: number | null } | null;
    reason?: readonly DisputeReason[] | null;
    search?: string | null;
  } | null;
  /** Index-only unless CREATED DESC. */
  orderBy?: { field: 'CREATED' | 'DUE_BY' | 'AMOUNT'; direction: 'ASC' | 'DESC' } | null;
}

/** Every provider a connection asked failed: one error per provider, none hidden behind the first. */
export class AllProvidersFailed extends Error {
  constructor(readonly failures: ProviderError[]) {
    super(`every provider asked failed: ${failures.map((f) => f.provider).join(', ')}`);
    this.name = 'AllProvidersFailed';
  }
}

export interface DisputeEdgeModel {
  cursor: string;
  node: Dispute;
}

export interface DisputeConnectionModel {
  edges: DisputeEdgeModel[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  /** From the index: the exact count, asked only when selected. Absent on the live path. */
  totalCount?: () => Promise<number>;
}

export interface ConnectionResult {
  connection: DisputeConnectionModel;
  /** Providers that failed (their disputes missing, their place kept), and unreadable disputes passed over. */
  failures: ProviderError[];
  /** Providers whose scan for gateway-side filters stopped at the bound. */
  scanLimited: { provider: ProviderName; account: string; scannedPages: number }[];
}

export interface Plan {
  direction: 'forward' | 'backward';
  size: number;
  cursor?: string;
}

export function plan(args: ConnectionArgs): Plan {
  const { first, last, after, before } = args;
  const checkSize = (v: number, name: string) => {
    if (!Number.isInteger(v) || v < 1 || v > MAX_PAGE_SIZE) throw new BadUserInput(`${name} must be between 1 and ${MAX_PAGE_SIZE}, got ${v}`, name);
  };
  if (first != null) checkSize(first, 'first');
  if (last != null) checkSize(last, 'last');
  if (first != null && last != null) throw new BadUserInput('pass either first or last, not both', 'last');
  if (after != null && before != null) throw new BadUserInput('pass either after or before, not both', 'before');
  // Provider lists can only read outward from a cursor, so first pairs with after and last with before.
  if (before != null && last == null) throw new BadUserInput('before pages backward: pair it with last', 'before');
  if (after != null && first == null && last != null) throw new BadUserInput('after pages forward: pair it with first', 'after');
  if (last != null) return { direction: 'backward', size: last, cursor: before ?? undefined };
  return { direction: 'forward', size: first ?? DEFAULT_PAGE_SIZE, cursor: after ?? undefined };
}

const ID_FILTER = /^[\x21-\x7e]{1,255}$/;

export function normalize(clients: Clients, f: ConnectionArgs['filter']): NormalizedFilter {
  let chosen = [...clients.values()].map((c) => ({ provider: c.name, account: c.account }));
  const check = (p: ProviderName, field: string) => {
    // The same words for a provider not configured and one this caller may not reach.
    if (!chosen.some((a) => a.provider === p)) throw new BadUserInput(`provider ${p} is not available`, field);
  };
  if (f?.providers != null) {
    if (f.providers.length === 0) throw new BadUserInput('filter.providers must name at least one provider', 'filter.providers');
    f.providers.forEach((p) => check(p, 'filter.providers'));
    chosen = chosen.filter((a) => f.providers!.includes(a.provider));
  }
  if (f?.provider != null) {
    check(f.provider, 'filter.provider');
    if (f.providers != null && !f.providers.includes(f.provider)) throw new BadUserInput('filter.provider is not among filter.providers', 'filter.provider');
    chosen = chosen.filter((a) => a.provider === f.provider);
  }
  if (f?.accounts != null) {
    if (f.accounts.length === 0) throw new BadUserInput('filter.accounts must name at least one account', 'filter.accounts');
    for (const r of f.accounts) {
      // Likewise for an account: not configured and out of reach read the same.
      if (!clients.has(accountKey(r.provider, r.account)))
        throw new BadUserInput(`account ${accountKey(r.provider, r.account)} is not available`, 'filter.accounts');
    }
    const named = new Set(f.accounts.map((r) => accountKey(r.provider, r.account)));
    chosen = chosen.filter((a) => named.has(accountKey(a.provider, a.account)));
    if (chosen.length === 0) throw new BadUserInput('filter.accounts names no account of filter.provider(s)', 'filter.accounts');
  }
  if (chosen.length === 0) throw new BadUserInput('no provider is configured on this gateway', 'filter.provider');

  // The gateway's order: provider, then account name.
  chosen.sort((a, b) => providerRank(a.provider) - providerRank(b.provider) || (a.account < b.account ? -1 : a.account > b.account ? 1 : 0));
  const out: NormalizedFilter = { providers: chosen };
  for (const name of ['charge', 'paymentIntent'] as const) {
    const v = f?.[name];
    if (v == null) continue;
    if (!ID_FILTER.test(v)) throw new BadUserInput(`filter.${name} must be a provider id (1-255 printable characters)`, `filter.${name}`);
    out[name] = v;
  }
  if (f?.status != null) {
    if (f.status.length === 0) throw new BadUserInput('filter.status must name at least one status', 'filter.status');
    out.statuses = DISPUTE_STATUSES.filter((s) => f.status!.includes(s));
  }
  if (f?.currency != null) {
    if (!/^[A-Za-z]{3}$/.test(f.currency)) throw new BadUserInput('filter.currency must be a three-letter ISO-4217 code', 'filter.currency');
    out.currency = f.currency.toLowerCase();
  }
  const c = f?.created;
  if (c) {
    const range: CreatedRange = {};
    for (const k of ['gt', 'gte', 'lt', 'lte'] as const) if (c[k]) range[k] = c[k]!;
    if (Object.keys(range).length) out.created = range;
  }
  return out;
}

function inRange(d: Date, r: CreatedRange): boolean {
  const t = d.getTime();
  return (!r.gt || t > r.gt.getTime()) && (!r.gte || t >= r.gte.getTime()) && (!r.lt || t < r.lt.getTime()) && (!r.lte || t <= r.lte.getTime());
}

/** What one provider is asked upstream, what the gateway checks itself, or null: it cannot match. */
function providerPlan(client: DisputeProviderClient, f: NormalizedFilter): ProviderPlan | null {
  const caps = client.capabilities;
  const upstream: ListFilter = {};
  const checks: ((d: Dispute) => boolean)[] = [];
  let stopBefore: Date | undefined;
  for (const name of ['charge', 'paymentIntent'] as const) {
    const want = f[name];
    if (want === undefined) continue;
    if (caps.absentFields?.includes(name)) return null;
    if (caps.filters.includes(name)) upstream[name] = want;
    else checks.push((d) => d[name] === want);
  }
  if (f.created) {
    if (caps.filters.includes('created')) upstream.created = f.created;
    else {
      const range = f.created;
      checks.push((d) => inRange(d.created, range));
      const lows = [range.gt, range.gte].filter((x): x is Date => x !== undefined);
      if (lows.length) stopBefore = new Date(Math.max(...lows.map((x) => x.getTime())));
    }
  }
  if (f.statuses) {
    const wanted = f.statuses;
    const raw = client.rawStatuses(wanted);
    const wantsUnknown = wanted.includes('UNKNOWN');
    if (raw.length === 0 && !wantsUnknown) return null;
    const oneOrMany = caps.statusFilter === 'many' || (caps.statusFilter === 'one' && raw.length === 1);
    if (caps.filters.includes('status') && oneOrMany && !wantsUnknown) upstream.statuses = raw;
    else checks.push((d) => wanted.includes(d.status));
  }
  if (f.currency) {
    const currency = f.currency;
    checks.push((d) => d.currency === currency);
  }
  return {
    client,
    stream: accountKey(client.name, client.account),
    upstream,
    residual: checks.length === 0 ? null : (d) => checks.every((check) => check(d)),
    stopBefore,
  };
}

/** What listing needs from the gateway: the caller's clients, its loaders, and the cursor secrets. */
export interface ListEnv {
  clients: Clients;
  loaders: Loaders;
  merge: MergeOptions;
  cursorKeys: CursorKeys;
}

export async function listDisputes(env: ListEnv, args: ConnectionArgs): Promise<ConnectionResult> {
  const { clients, loaders, merge: opts, cursorKeys } = env;
  const p = plan(args);
  const filter = normalize(clients, args.filter);
  const fingerprint = filterFingerprint(filter);
  const field = p.direction === 'forward' ? 'after' : 'before';
  const streams = filter.providers.map((a) => accountKey(a.provider, a.account));
  const isPosition = (stream: string, position: string) => {
    const client = clients.get(stream);
    return client?.isPosition ? client.isPosition(position) : isProviderId(position);
  };
  const cursor = p.cursor === undefined ? undefined : decodeCursor(p.cursor, field, { fingerprint, streams, isPosition }, cursorKeys);
  const plans = streams.map((stream) => providerPlan(clients.get(stream)!, filter)).filter((x): x is ProviderPlan => x !== null);

  const { page, hasNextPage, hasPreviousPage } = await walk(p, plans, cursor, opts);
  // Every provider asked failed: there is no page to show, only the failures, each its own error.
  if (page.failures.length > 0 && page.failures.length === plans.length) throw new AllProvidersFailed(page.failures);

  loaders.prime(page.read);
  return connectionOf(page, { hasNextPage, hasPreviousPage }, { fingerprint, streams, cursorKeys });
}

/** The merged walk in the page's direction, and which ends of it have more. */
async function walk(p: ReturnType<typeof plan>, plans: ProviderPlan[], cursor: ReturnType<typeof decodeCursor> | undefined, opts: MergeOptions) {
  if (p.direction === 'forward') {
    const page = await mergeForward(plans, cursor?.states ?? {}, p.size, opts);
    // The cursor's own dispute precedes this page.
    return { page, hasNextPage: page.hasMore, hasPreviousPage: cursor !== undefined };
  }
  const page = await mergeBackward(plans, cursor?.states ?? null, cursor?.stream ?? null, p.size, opts);
  return { page, hasNextPage: cursor !== undefined, hasPreviousPage: page.hasMore };
}

/** The connection of a merged page: edges whose signed cursors are made when asked for, and its page info. */
function connectionOf(
  page: MergedPage,
  ends: { hasNextPage: boolean; hasPreviousPage: boolean },
  sign: { fingerprint: string; streams: string[]; cursorKeys: CursorKeys },
): ConnectionResult {
  const { fingerprint, streams, cursorKeys } = sign;
  const { hasNextPage, hasPreviousPage } = ends;
  // Cursors are signed (an HMAC each): made only when a cursor is asked for, once.
  const lazyCursor = (states: (typeof page.edges)[number]) => {
    let cursor: string | undefined;
    return () => (cursor ??= encodeCursor({ fingerprint, stream: states.stream, states: states.states }, cursorKeys, streams));
  };
  const edges = page.edges.map((e) => {
    const cursor = lazyCursor(e);
    return {
      get cursor() {
        return cursor();
      },
      node: e.dispute,
    };
  });
  // A forward page the scan bound left empty still gives a cursor to go on from.
  const resume = page.resume && encodeCursor({ fingerprint, stream: page.resume.stream, states: page.resume.states }, cursorKeys, streams);
  return {
    connection: {
      edges,
      pageInfo: {
        hasNextPage,
        hasPreviousPage,
        get startCursor() {
          return edges[0]?.cursor ?? null;
        },
        get endCursor() {
          return edges.at(-1)?.cursor ?? resume ?? null;
        },
      },
    },
    failures: [...page.failures, ...page.itemErrors],
    scanLimited: page.scanLimited,
  };
}

/**
 * The most upstream calls one `disputes` field can cause, before it runs: per provider asked,
 * one list page, or the scan bound when the gateway filters, or the walk bound for `last`
 * without `before` on lists that have no call for their end; reading backward from a cursor on an
 * id-cursor list adds the anchor's retrieve; and records that lists return as summaries (Flex)
 * add one retrieve per dispute on the page when detail fields are asked. Arguments that do not
 * pass are counted as one call: the field fails before calling anyone.
 */
export function maxListCalls(clients: Clients, args: ConnectionArgs, opts: MergeOptions, asksDetail: boolean): number {
  let p: Plan;
  let filter: NormalizedFilter;
  try {
    p = plan(args);
    filter = normalize(clients, args.filter);
  } catch {
    return 1;
  }
  let calls = 0;
  for (const { provider, account } of filter.providers) {
    const client = clients.get(accountKey(provider, account))!;
    const pp = providerPlan(client, filter);
    if (!pp) continue;
    const caps = client.capabilities;
    const scan = pp.residual ? opts.maxScanPages : 1;
    if (p.direction === 'forward') calls += scan;
    else if (p.cursor === undefined) calls += caps.listFromEnd ? 2 : opts.maxWalkPages;
    else calls += scan + 1;
    if (asksDetail && caps.summaryLists) calls += p.size;
  }
  return Math.max(1, calls);
}

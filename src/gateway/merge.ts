// The k-way merge behind the disputes connection: each provider's own newest-first list is one
// stream, and the page is the merge of the streams in the gateway's total order.
//
// Order: `created` descending; ties between providers by PROVIDERS order (STRIPE, WOOSHPAY, FLEX,
// AFTERPAY), then by account name; within an account, the provider's own list order (its streams
// are never re-sorted). Each configured account is one stream.
//
// Per provider, a cursor keeps two positions around its edge: `last`, the provider's last item at
// or before the edge in the merged order, and `next`, its first item after the edge (END when it
// has none, null when not known). Forward pages read each provider after `last`; backward pages
// read each provider up to `next` (or up to and including `last`). Each provider is asked for the
// page size plus one, so the item after every edge is usually known (see pageLimit).
import type { Dispute, ProviderName } from '../domain/dispute.js';
import { providerRank } from '../domain/provider-names.js';
import { BadUserInput, ProviderError } from '../domain/errors.js';
import { providerDisplayName } from '../providers/http.js';
import type { DisputeProviderClient, ListFilter, ListPage } from '../providers/types.js';

export const END = 0 as const;
/** [last, next]: positions in one provider's list around an edge. */
export type ProviderState = [last: string | null, next: string | null | typeof END];

export interface ProviderPlan {
  client: DisputeProviderClient;
  /** accountKey of the client: one stream per configured account. */
  stream: string;
  /** Filters the provider applies itself. */
  upstream: ListFilter;
  /** What the gateway still has to check; null when the provider's answer is exact. */
  residual: ((d: Dispute) => boolean) | null;
  /** Disputes older than this cannot match (a lower `created` bound the gateway applies). */
  stopBefore?: Date;
}

export interface MergeOptions {
  /** Upstream list pages a provider may read for one page when the gateway filters (bounded scan). */
  maxScanPages: number;
  /** Pages of 100 a provider may be walked to find its oldest disputes (`last` without `before`). */
  maxWalkPages: number;
}

interface Item {
  provider: ProviderName;
  /** The account's stream (accountKey): cursors keep one position pair per stream. */
  stream: string;
  dispute: Dispute;
  position: string;
  matches: boolean;
}

/** What was read from one provider for one page. */
interface Window {
  plan: ProviderPlan;
  /** Newest first. */
  items: Item[];
  /** No more items exist beyond the window in the direction read. */
  exhausted: boolean;
  /** The scan bound stopped the read: more may exist, unread. */
  truncated: boolean;
  scannedPages: number;
}

export interface MergedEdge {
  dispute: Dispute;
  /** The account stream of the edge's own dispute. */
  stream: string;
  states: Record<string, ProviderState>;
}

export interface MergedPage {
  edges: MergedEdge[];
  /** Forward: more after the page. Backward: more before it. */
  hasMore: boolean;
  failures: ProviderError[];
  scanLimited: { provider: ProviderName; account: string; scannedPages: number }[];
  /** Disputes read in full (for priming the per-request loader). */
  read: Dispute[];
  /** Unreadable disputes this page passed over, one error each (reported beside the data). */
  itemErrors: ProviderError[];
  /**
   * Forward pages that a scan bound stopped before any match: where the scan got to, so the next
   * page goes on from there (a cursor with no dispute of its own). Absent otherwise.
   */
  resume?: MergedEdge;
}

/**
 * Negative when a comes first (is newer) in the merged order: created, then provider, then account.
 * Items of one account are never compared (its own list order stands).
 */
export function mergedOrder(a: Pick<Item, 'dispute' | 'provider'>, b: Pick<Item, 'dispute' | 'provider'>): number {
  const accountA = a.dispute.providerAccount;
  const accountB = b.dispute.providerAccount;
  return (
    b.dispute.created.getTime() - a.dispute.created.getTime() ||
    providerRank(a.provider) - providerRank(b.provider) ||
    (accountA < accountB ? -1 : accountA > accountB ? 1 : 0)
  );
}

const toItems = (plan: ProviderPlan, page: ListPage): Item[] =>
  page.items.map(({ dispute, position }) => ({
    provider: plan.client.name,
    stream: plan.stream,
    dispute,
    position,
    // An unreadable dispute keeps its place in the stream but is never an edge.
    matches: dispute.detail !== 'unreadable' && (plan.residual === null || plan.residual(dispute)),
  }));

/** The error for an unreadable dispute the page passed over: named, with the provider. */
function unreadableError(item: Item): ProviderError {
  const name = providerDisplayName(item.provider);
  return new ProviderError({
    code: 'PROVIDER_ERROR',
    provider: item.provider,
    providerCode: 'malformed_response',
    message: `${name} listed dispute ${item.dispute.providerDisputeId} in a shape the gateway cannot read (${item.dispute.unreadable?.message ?? 'unknown'}); it is left out and paging goes on past it`,
    cause: item.dispute.unreadable,
  });
}

/**
 * How many items to ask a provider for. The page + 1, so the item after every edge is known;
 * offset lists get the page, because they read their anchor again (to check the list has not
 * moved) and can include an anchor natively. A gateway-side filter scans in full pages.
 */
function pageLimit(plan: ProviderPlan, need: number): number {
  const { maxPageSize, pagination } = plan.client.capabilities;
  if (plan.residual) return maxPageSize;
  return Math.min(maxPageSize, pagination === 'offset' ? need : need + 1);
}

const countMatches = (items: Item[]) => items.reduce((n, i) => n + (i.matches ? 1 : 0), 0);

/** Index of the `n`-th matching item counted from the end (0 when there are fewer). */
function tailStart(items: Item[], n: number): number {
  let matched = 0;
  for (let i = items.length - 1; i >= 0; i--) if (items[i]!.matches && ++matched === n) return i;
  return 0;
}

/** Reads older items after `after` until `need + 1` match, the list ends, or the scan bound. */
async function readForward(plan: ProviderPlan, after: string | null, need: number, opts: MergeOptions): Promise<Window> {
  const items: Item[] = [];
  let position = after ?? undefined;
  for (let pages = 1; ; pages++) {
    const limit = pageLimit(plan, need);
    const page = await plan.client.list({ limit, startingAfter: position, filter: plan.upstream, noHasMore: true });
    items.push(...toItems(plan, page));
    const last = items.at(-1);
    const belowRange = plan.stopBefore !== undefined && last !== undefined && last.dispute.created < plan.stopBefore;
    // hasMore is exact for every client (a page may be short of the limit and still not the last).
    const exhausted = !page.hasMore || page.items.length === 0 || belowRange;
    if (exhausted || countMatches(items) > need) return { plan, items, exhausted, truncated: false, scannedPages: pages };
    if (plan.residual === null) return { plan, items, exhausted: false, truncated: false, scannedPages: pages };
    if (pages >= opts.maxScanPages) return { plan, items, exhausted: false, truncated: true, scannedPages: pages };
    position = last!.position;
  }
}

type BackwardAnchor = { before: string } | { upTo: string } | { fromEnd: true };

/**
 * Reads newer items toward the front of the list until `need + 1` match, the list's start, or the
 * scan bound. `anchor`: read before a position, up to and including one, or from the list's end.
 */
async function readBackward(plan: ProviderPlan, anchor: BackwardAnchor, need: number, opts: MergeOptions): Promise<Window> {
  if ('fromEnd' in anchor) return readFromEnd(plan, need, opts);
  let start: Window | null = null;
  if ('upTo' in anchor) {
    start = await readUpTo(plan, anchor.upTo, pageLimit(plan, need));
    if (start.exhausted || countMatches(start.items) > need || plan.residual === null) return start;
  }
  return scanNewer(plan, start, 'before' in anchor ? anchor.before : start!.items[0]!.position, need, opts);
}

/** The list's oldest items, from its end: one call where the provider has one, else a bounded walk. */
async function readFromEnd(plan: ProviderPlan, need: number, opts: MergeOptions): Promise<Window> {
  const { client } = plan;
  if (client.capabilities.listFromEnd) {
    const page = await client.list({ limit: pageLimit(plan, need), fromEnd: true, filter: plan.upstream });
    return { plan, items: toItems(plan, page), exhausted: !page.hasNewer, truncated: false, scannedPages: 1 };
  }
  // Newest-first lists have no call for their end: walk them, keeping the tail that holds
  // need + 1 matches (and every item after the first of those, for exact positions).
  let items: Item[] = [];
  let position: string | undefined;
  let trimmed = false;
  let pages = 0;
  for (;;) {
    if (pages >= opts.maxWalkPages) {
      throw new BadUserInput(
        `last without before would read more than ${opts.maxWalkPages * client.capabilities.maxPageSize} ${providerDisplayName(client.name)} disputes to find the oldest; narrow with filter.created or page backward from a cursor`,
        'last',
      );
    }
    const page = await client.list({ limit: client.capabilities.maxPageSize, startingAfter: position, filter: plan.upstream, noHasMore: true });
    pages += 1;
    items.push(...toItems(plan, page));
    const cut = tailStart(items, need + 1);
    if (cut > 0) {
      items = items.slice(cut);
      trimmed = true;
    }
    if (!page.hasMore || page.items.length === 0) break;
    position = page.items.at(-1)!.position;
  }
  return { plan, items, exhausted: !trimmed, truncated: false, scannedPages: pages };
}

/** The items newer than a position and the item at it (one page; the anchor read where the list cannot include it). */
async function readUpTo(plan: ProviderPlan, upTo: string, limit: number): Promise<Window> {
  const { client } = plan;
  if (client.capabilities.pagination === 'offset') {
    const page = await client.list({ limit, endingAt: upTo, filter: plan.upstream });
    return { plan, items: toItems(plan, page), exhausted: !page.hasMore, truncated: false, scannedPages: 1 };
  }
  // An id-cursor list cannot include its anchor: list before it and read the anchor itself — by id
  // where the provider can, else as the first item after the newest one before it.
  const newer = client.list({ limit: Math.max(1, limit - 1), endingBefore: upTo, filter: plan.upstream, noHasMore: true });
  const [page, self] = client.retrieve
    ? await Promise.all([newer, client.retrieve(upTo)])
    : await newer.then(async (p) => {
        const next = await client.list({ limit: 1, startingAfter: p.items.at(-1)?.position, filter: plan.upstream, noHasMore: true });
        const first = next.items[0];
        return [p, first && first.position === upTo ? first.dispute : null] as const;
      });
  const items = [...toItems(plan, page), ...(self ? toItems(plan, { items: [{ dispute: self, position: upTo }], hasMore: false }) : [])];
  return { plan, items, exhausted: !page.hasMore, truncated: false, scannedPages: client.retrieve ? 1 : 2 };
}

/** Reads pages newer than `before` (ahead of what `start` holds) until need + 1 match, the start of the list, or the scan bound. */
async function scanNewer(plan: ProviderPlan, start: Window | null, before: string, need: number, opts: MergeOptions): Promise<Window> {
  const limit = pageLimit(plan, need);
  let items = start?.items ?? [];
  let pages = start?.scannedPages ?? 0;
  for (;;) {
    if (pages >= opts.maxScanPages && plan.residual !== null) return { plan, items, exhausted: false, truncated: true, scannedPages: pages };
    const page = await plan.client.list({ limit, endingBefore: before, filter: plan.upstream, noHasMore: true });
    pages += 1;
    items = [...toItems(plan, page), ...items];
    const exhausted = !page.hasMore || page.items.length === 0;
    if (exhausted || countMatches(items) > need || plan.residual === null) return { plan, items, exhausted, truncated: false, scannedPages: pages };
    before = items[0]!.position;
  }
}

async function settle(read: () => Promise<Window>): Promise<Window | ProviderError> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
}

function split(windows: (Window | ProviderError)[]) {
  const ok: Window[] = [];
  const failures: ProviderError[] = [];
  for (const w of windows) {
    if (w instanceof ProviderError) failures.push(w);
    else ok.push(w);
  }
  return { ok, failures };
}

/**
 * The page's summary. More exist in the direction read when an unread window item matches, a
 * window may go on, or a provider failed (its place is kept, so it has more to give).
 */
function summarize(edges: MergedEdge[], ok: Window[], failures: ProviderError[], unread: (w: Window) => Item[]): MergedPage {
  return {
    edges,
    hasMore: ok.some((w) => unread(w).some((i) => i.matches) || !w.exhausted) || failures.length > 0,
    failures,
    scanLimited: ok.filter((w) => w.truncated).map((w) => ({ provider: w.plan.client.name, account: w.plan.client.account, scannedPages: w.scannedPages })),
    read: ok.flatMap((w) => w.items.map((i) => i.dispute)),
    itemErrors: [],
  };
}

/** A forward page: the first `size` matching disputes after the cursor's states. */
export async function mergeForward(plans: ProviderPlan[], incoming: Record<string, ProviderState>, size: number, opts: MergeOptions): Promise<MergedPage> {
  const state = (p: string): ProviderState => incoming[p] ?? [null, null];
  // A provider whose cursor says it has nothing after the edge costs no call.
  const live = plans.filter((plan) => state(plan.stream)[1] !== END);
  const windows = await Promise.all(live.map((plan) => settle(() => readForward(plan, state(plan.stream)[0], size, opts))));
  const { ok, failures } = split(windows);

  const cursorState = new Map<string, ProviderState>(plans.map((p) => [p.stream, state(p.stream)]));
  const next = new Map(ok.map((w) => [w.plan.stream, 0]));
  const nextOf = (w: Window): ProviderState[1] => {
    const i = next.get(w.plan.stream)!;
    if (i < w.items.length) return w.items[i]!.position;
    return w.exhausted ? END : null;
  };
  for (const w of ok) cursorState.set(w.plan.stream, [state(w.plan.stream)[0], nextOf(w)]);

  const edges: MergedEdge[] = [];
  let blocked = false;
  let lastConsumed: Item | undefined;
  const itemErrors: ProviderError[] = [];
  while (edges.length < size) {
    let best: Window | undefined;
    for (const w of ok) {
      const i = next.get(w.plan.stream)!;
      if (i >= w.items.length) {
        // A truncated stream read up to here; anything older could come after its unread part.
        if (w.truncated) blocked = true;
        continue;
      }
      if (!best || mergedOrder(w.items[i]!, best.items[next.get(best.plan.stream)!]!) < 0) best = w;
    }
    if (blocked || !best) break;
    const name = best.plan.stream;
    const item = best.items[next.get(name)!]!;
    next.set(name, next.get(name)! + 1);
    cursorState.set(name, [item.position, nextOf(best)]);
    if (item.matches) edges.push({ dispute: item.dispute, stream: name, states: Object.fromEntries(cursorState) });
    else if (item.dispute.detail === 'unreadable') itemErrors.push(unreadableError(item));
    lastConsumed = item;
  }

  const page = summarize(edges, ok, failures, (w) => w.items.slice(next.get(w.plan.stream)!));
  page.itemErrors = itemErrors;
  // Nothing matched within the scan bound: the caller still needs a cursor past what was scanned.
  if (edges.length === 0 && page.hasMore && lastConsumed) {
    page.resume = { dispute: lastConsumed.dispute, stream: lastConsumed.stream, states: Object.fromEntries(cursorState) };
  }
  return page;
}

/**
 * A backward page: the `size` matching disputes nearest before the cursor's edge (or the oldest,
 * with no cursor), newest first. `edgeStream` is the account (stream) of the cursor's own dispute.
 */
/** Where each stream's backward read starts: its end (no cursor), before a position, or up to one. */
function backwardAnchors(plans: ProviderPlan[], state: ((p: string) => ProviderState) | null, edgeStream: string | null): Map<string, BackwardAnchor> {
  const anchors = new Map<string, BackwardAnchor>();
  for (const plan of plans) {
    const name = plan.stream;
    if (!state) {
      anchors.set(name, { fromEnd: true });
      continue;
    }
    const [last, nxt] = state(name);
    if (name === edgeStream && last !== null) anchors.set(name, { before: last });
    else if (last === null)
      continue; // nothing of this provider is at or before the edge
    else if (typeof nxt === 'string') anchors.set(name, { before: nxt });
    else anchors.set(name, { upTo: last });
  }
  return anchors;
}

export async function mergeBackward(
  plans: ProviderPlan[],
  incoming: Record<string, ProviderState> | null,
  edgeStream: string | null,
  size: number,
  opts: MergeOptions,
): Promise<MergedPage> {
  const state = (p: string): ProviderState => incoming?.[p] ?? [null, incoming ? null : END];
  const anchors = backwardAnchors(plans, incoming && state, edgeStream);
  const live = plans.filter((p) => anchors.has(p.stream));
  const windows = await Promise.all(live.map((plan) => settle(() => readBackward(plan, anchors.get(plan.stream)!, size, opts))));
  const { ok, failures } = split(windows);

  // Walk from the edge toward the newest, taking the nearest items first.
  const cursorState = new Map<string, ProviderState>(plans.map((p) => [p.stream, state(p.stream)]));
  const tail = new Map(ok.map((w) => [w.plan.stream, w.items.length - 1]));
  const lastOf = (w: Window): string | null => {
    const i = tail.get(w.plan.stream)!;
    return i >= 0 ? w.items[i]!.position : null;
  };
  for (const w of ok) {
    const name = w.plan.stream;
    // After the window comes what the anchor said: the edge itself, or the provider's next item.
    const anchor = anchors.get(name)!;
    const after: ProviderState[1] = 'before' in anchor ? anchor.before : 'upTo' in anchor ? state(name)[1] : END;
    cursorState.set(name, [lastOf(w) ?? (w.exhausted ? null : state(name)[0]), after]);
  }

  const picked: MergedEdge[] = [];
  const itemErrors: ProviderError[] = [];
  let blocked = false;
  while (picked.length < size) {
    let best: Window | undefined;
    for (const w of ok) {
      const i = tail.get(w.plan.stream)!;
      if (i < 0) {
        if (w.truncated) blocked = true;
        continue;
      }
      if (!best || mergedOrder(w.items[i]!, best.items[tail.get(best.plan.stream)!]!) > 0) best = w;
    }
    if (blocked || !best) break;
    const name = best.plan.stream;
    const item = best.items[tail.get(name)!]!;
    // At this edge: the provider's last item at or before it is the item itself.
    cursorState.set(name, [item.position, cursorState.get(name)![1]]);
    if (item.matches) picked.push({ dispute: item.dispute, stream: name, states: Object.fromEntries(cursorState) });
    else if (item.dispute.detail === 'unreadable') itemErrors.push(unreadableError(item));
    tail.set(name, tail.get(name)! - 1);
    // Past it, going newer: its last is the next newer item, its next is this one.
    cursorState.set(name, [lastOf(best) ?? (best.exhausted ? null : cursorState.get(name)![0]), item.position]);
  }

  const page = summarize(picked.reverse(), ok, failures, (w) => w.items.slice(0, tail.get(w.plan.stream)! + 1));
  page.itemErrors = itemErrors.reverse();
  return page;
}

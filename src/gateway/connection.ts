// The disputes connection: Relay arguments mapped onto a provider's newest-first list.
//   first/after  -> limit/starting_after   (hasNextPage from has_more)
//   last/before  -> limit/ending_before    (hasPreviousPage from has_more)
//   last alone   -> the oldest `last` disputes: one call where the provider can (offset lists),
//                   else found by walking the list forward (bounded)
import type { Dispute, ProviderName } from '../domain/dispute.js';
import { BadUserInput } from '../domain/errors.js';
import { providerDisplayName } from '../providers/http.js';
import type { CreatedRange, DisputeProviderClient, FilterField, ListFilter, ListPage } from '../providers/types.js';
import { decodeCursor, encodeCursor, filterFingerprint } from './cursor.js';
import type { Loaders } from './loaders.js';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 10;
/** `last` without `before` reads at most this many list pages (100 disputes each). */
export const MAX_WALK_PAGES = 100;

export interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
  filter?: {
    provider?: ProviderName | null;
    charge?: string | null;
    paymentIntent?: string | null;
    created?: { gt?: Date | null; gte?: Date | null; lt?: Date | null; lte?: Date | null } | null;
  } | null;
}

export interface DisputeEdgeModel {
  cursor: string;
  node: Dispute;
}

export interface DisputeConnectionModel {
  edges: DisputeEdgeModel[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

interface Plan {
  direction: 'forward' | 'backward';
  size: number;
  cursor?: string;
}

function plan(args: ConnectionArgs): Plan {
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

function listFilter(f: ConnectionArgs['filter']): ListFilter {
  const out: ListFilter = {};
  for (const name of ['charge', 'paymentIntent'] as const) {
    const v = f?.[name];
    if (v == null) continue;
    if (!ID_FILTER.test(v)) throw new BadUserInput(`filter.${name} must be a provider id (1-255 printable characters)`, `filter.${name}`);
    out[name] = v;
  }
  const c = f?.created;
  if (c) {
    const range: CreatedRange = {};
    for (const k of ['gt', 'gte', 'lt', 'lte'] as const) if (c[k]) range[k] = c[k]!;
    if (Object.keys(range).length) out.created = range;
  }
  return out;
}

export function pickProvider(
  clients: ReadonlyMap<ProviderName, DisputeProviderClient>,
  provider: ProviderName | null | undefined,
): DisputeProviderClient {
  if (provider != null) {
    const client = clients.get(provider);
    if (!client) throw new BadUserInput(`provider ${provider} is not configured on this gateway`, 'filter.provider');
    return client;
  }
  if (clients.size === 1) return [...clients.values()][0]!;
  throw new BadUserInput(
    clients.size === 0 ? 'no provider is configured on this gateway' : 'several providers are configured: choose one with filter.provider',
    'filter.provider',
  );
}

export async function listDisputes(
  clients: ReadonlyMap<ProviderName, DisputeProviderClient>,
  loaders: Loaders,
  args: ConnectionArgs,
): Promise<DisputeConnectionModel> {
  const p = plan(args);
  const client = pickProvider(clients, args.filter?.provider);
  const filter = listFilter(args.filter);
  for (const field of Object.keys(filter) as FilterField[]) {
    if (!client.capabilities.filters.includes(field)) {
      throw new BadUserInput(`${providerDisplayName(client.name)} cannot filter by ${field}`, `filter.${field}`);
    }
  }
  const fingerprint = filterFingerprint(client.name, filter);
  const field = p.direction === 'forward' ? 'after' : 'before';
  const position = p.cursor === undefined
    ? undefined
    : decodeCursor(p.cursor, field, { provider: client.name, account: client.account, filter: fingerprint }).position;

  let page: ListPage;
  let hasNextPage: boolean;
  let hasPreviousPage: boolean;
  if (p.direction === 'forward') {
    page = await client.list({ limit: p.size, startingAfter: position, filter });
    hasNextPage = page.hasMore;
    // The cursor's own dispute precedes this page.
    hasPreviousPage = position !== undefined;
  } else if (position !== undefined) {
    page = await client.list({ limit: p.size, endingBefore: position, filter });
    hasPreviousPage = page.hasMore;
    hasNextPage = true;
  } else if (client.capabilities.listFromEnd) {
    page = await client.list({ limit: p.size, fromEnd: true, filter });
    hasPreviousPage = page.hasNewer ?? false;
    hasNextPage = false;
  } else {
    ({ page, hasPreviousPage } = await oldest(client, filter, p.size));
    hasNextPage = false;
  }

  loaders.prime(page.items.map((i) => i.dispute));
  const edges = page.items.map(({ dispute, position: pos }) => ({
    cursor: encodeCursor({ provider: client.name, account: client.account, position: pos, filter: fingerprint }),
    node: dispute,
  }));
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/**
 * The oldest `size` disputes. Newest-first lists have no call for "the end", so walk forward in
 * pages of 100 and keep the tail. Bounded: past MAX_WALK_PAGES the client is asked to narrow.
 */
async function oldest(client: DisputeProviderClient, filter: ListFilter, size: number): Promise<{ page: ListPage; hasPreviousPage: boolean }> {
  let tail: ListPage['items'] = [];
  let seen = 0;
  let startingAfter: string | undefined;
  for (let i = 0; i < MAX_WALK_PAGES; i++) {
    const page = await client.list({ limit: MAX_PAGE_SIZE, startingAfter, filter });
    seen += page.items.length;
    tail = [...tail, ...page.items].slice(-size);
    if (!page.hasMore || page.items.length === 0) return { page: { items: tail, hasMore: false }, hasPreviousPage: seen > tail.length };
    startingAfter = page.items.at(-1)!.position;
  }
  throw new BadUserInput(
    `last without before would read more than ${MAX_WALK_PAGES * MAX_PAGE_SIZE} disputes; narrow it with filter.created or page backward from a cursor`,
    'last',
  );
}

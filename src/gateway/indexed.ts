// `disputes` answered from the index (src/index/): every order and filter, one store query per
// page, keyset cursors, an exact totalCount, and no provider call. The live path (connection.ts)
// serves the rest: with INDEX=off, and while an account backfills for today's order.
import { createHash } from 'node:crypto';
import { DISPUTE_REASONS, type Dispute } from '../domain/dispute.js';
import { BadUserInput } from '../domain/errors.js';
import { accountKey, decodeDisputeId } from '../domain/ids.js';
import { DEFAULT_ORDER, type IndexFilter, type IndexKey, type IndexOrder, type Range } from '../index/model.js';
import type { IndexStore } from '../index/store.js';
import type { IndexSync } from '../index/sync.js';
import type { DeadlineReminders } from '../index/reminders.js';
import type { Clients } from '../providers/registry.js';
import { normalize, plan, type ConnectionArgs, type DisputeConnectionModel } from './connection.js';
import type { CursorKeys } from './cursor.js';

/** The index as the gateway's services hold it. */
export interface GatewayIndex {
  store: IndexStore;
  sync: IndexSync;
  /** The clock aggregates' due counts and reminders are measured by (epoch ms; tests inject one). */
  now: () => number;
  /** Deadline reminders, when configured. */
  reminders?: DeadlineReminders;
}

/** A page's freshness, reported under `extensions.index`. */
export interface Freshness {
  asOf: Date;
  lagSeconds: number;
  complete: boolean;
}

/** The first argument only the index can answer, or null: an order other than CREATED DESC, or dueBy, amount, reason, search. */
export function indexOnlyArgument(args: ConnectionArgs): string | null {
  const o = args.orderBy;
  if (o && (o.field !== DEFAULT_ORDER.field || o.direction !== DEFAULT_ORDER.direction)) return 'orderBy';
  for (const f of ['dueBy', 'amount', 'reason', 'search'] as const) if (args.filter?.[f] != null) return `filter.${f}`;
  return null;
}

const MAX_SEARCH = 255;

function range(
  r: { gt?: Date | number | null; gte?: Date | number | null; lt?: Date | number | null; lte?: Date | number | null } | null | undefined,
  field: string,
): Range | undefined {
  if (!r) return undefined;
  const out: Range = {};
  for (const k of ['gt', 'gte', 'lt', 'lte'] as const) {
    const v = r[k];
    if (v == null) continue;
    const n = v instanceof Date ? v.getTime() : v;
    if (!Number.isSafeInteger(n)) throw new BadUserInput(`${field}.${k} must be an integer`, `${field}.${k}`);
    out[k] = n;
  }
  return Object.keys(out).length ? out : undefined;
}

/** The connection's filter for the index: the caller's accounts (as normalize narrows them) and every filter, checked. */
export function indexFilterOf(clients: Clients, f: ConnectionArgs['filter']): IndexFilter {
  const n = normalize(clients, f);
  const out: IndexFilter = { accounts: n.providers };
  if (n.statuses) out.statuses = n.statuses;
  if (n.currency) out.currency = n.currency;
  if (n.charge) out.charge = n.charge;
  if (n.paymentIntent) out.paymentIntent = n.paymentIntent;
  const created = range(n.created, 'filter.created');
  if (created) out.created = created;
  const dueBy = range(f?.dueBy, 'filter.dueBy');
  if (dueBy) out.dueBy = dueBy;
  const amount = range(f?.amount, 'filter.amount');
  if (amount) out.amount = amount;
  if (f?.reason != null) {
    if (f.reason.length === 0) throw new BadUserInput('filter.reason must name at least one reason', 'filter.reason');
    out.reasons = DISPUTE_REASONS.filter((r) => f.reason!.includes(r));
  }
  if (f?.search != null) {
    const s = f.search.trim();
    if (s.length === 0 || s.length > MAX_SEARCH) throw new BadUserInput(`filter.search must be 1-${MAX_SEARCH} characters`, 'filter.search');
    out.search = s;
    // A gateway id names one dispute: matched as well as the provider's own ids.
    try {
      const ref = decodeDisputeId(s, 'filter.search');
      if (clients.has(accountKey(ref.provider, ref.account))) out.searchRef = ref;
    } catch {
      // Not a gateway id: the provider's ids and the email are what it is matched against.
    }
  }
  return out;
}

/** Signs a page key with the filter and order it belongs to, so a cursor is refused under another. */
function fingerprint(filter: IndexFilter, order: IndexOrder): string {
  return createHash('sha256')
    .update(JSON.stringify([filter, order]))
    .digest('base64url')
    .slice(0, 16);
}

const CURSOR = /^i1\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;

function encodeKey(key: IndexKey, fp: string, keys: CursorKeys): string {
  const payload = Buffer.from(JSON.stringify([fp, key.value, key.providerRank, key.account, key.providerDisputeId])).toString('base64url');
  return `i1.${payload}.${keys.sign(payload)}`;
}

function decodeKey(raw: string, field: string, fp: string, keys: CursorKeys): IndexKey {
  const fail = (why: string): never => {
    throw new BadUserInput(`${field}: ${why}`, field);
  };
  const m = raw.length <= 2048 ? CURSOR.exec(raw) : null;
  if (!m) return fail('not a cursor of an index page (the order or filter may differ from the page it came from); start again without a cursor');
  if (!keys.verify(m[1]!, m[2]!)) return fail('not a cursor this gateway issued (or its secret was rotated out); start again without a cursor');
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8'));
  } catch {
    return fail('not a valid cursor');
  }
  if (!Array.isArray(v) || v.length !== 5) return fail('not a valid cursor');
  const [f, value, rank, account, id] = v as unknown[];
  if (f !== fp) return fail('this cursor was issued for a different filter or order; start again without a cursor');
  if (!(value === null || Number.isSafeInteger(value)) || !Number.isInteger(rank) || typeof account !== 'string' || typeof id !== 'string')
    return fail('not a valid cursor');
  return { value: value as number | null, providerRank: rank as number, account, providerDisputeId: id };
}

export interface IndexEnv {
  clients: Clients;
  cursorKeys: CursorKeys;
  index: GatewayIndex;
}

export interface IndexedConnection {
  connection: DisputeConnectionModel & { totalCount: () => Promise<number> };
  /** When the index last had each dispute of the page. */
  syncedAt: Map<Dispute, Date>;
  freshness: Freshness;
}

export async function listFromIndex(env: IndexEnv, args: ConnectionArgs): Promise<IndexedConnection> {
  const p = plan(args);
  const filter = indexFilterOf(env.clients, args.filter);
  const order: IndexOrder = args.orderBy ?? DEFAULT_ORDER;
  const fp = fingerprint(filter, order);
  const field = p.direction === 'forward' ? 'after' : 'before';
  const cursor = p.cursor === undefined ? undefined : decodeKey(p.cursor, field, fp, env.cursorKeys);
  const page = await env.index.store.page({ filter, order, direction: p.direction, limit: p.size, ...(cursor && { [field]: cursor }) });
  const edges = page.rows.map((r) => {
    let c: string | undefined;
    return {
      get cursor() {
        return (c ??= encodeKey(r.key, fp, env.cursorKeys));
      },
      node: r.dispute,
    };
  });
  const forward = p.direction === 'forward';
  let total: Promise<number> | undefined;
  const freshness = env.index.sync.freshness(filter.accounts.map((a) => accountKey(a.provider, a.account)));
  return {
    connection: {
      edges,
      pageInfo: {
        hasNextPage: forward ? page.hasMore : cursor !== undefined,
        hasPreviousPage: forward ? cursor !== undefined : page.hasMore,
        get startCursor() {
          return edges[0]?.cursor ?? null;
        },
        get endCursor() {
          return edges.at(-1)?.cursor ?? null;
        },
      },
      totalCount: () => (total ??= env.index.store.count(filter)),
    },
    syncedAt: new Map(page.rows.map((r) => [r.dispute, r.syncedAt])),
    freshness,
  };
}

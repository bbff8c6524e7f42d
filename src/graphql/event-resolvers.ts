// Events in the schema: the history as a connection, the live stream as a subscription, an event
// as a Node. A key sees only events of the providers and accounts it may read: the context's
// clients are already narrowed to those, and every event is checked against them.
import { GraphQLError } from 'graphql';
import { BadUserInput } from '../domain/errors.js';
import { accountKey, decodeDisputeId, decodeEventId, encodeEventId, refKey } from '../domain/ids.js';
import { decodeEventCursor, encodeEventCursor, type EventScope } from '../events/log.js';
import type { DisputeEvent } from '../domain/event.js';
import type { DisputeEventFilter, Resolvers } from './generated/resolvers-types.js';
import type { GatewayContext } from './context.js';
import { reaches, type ApiKey } from '../auth/keys.js';
import type { ProviderName } from '../domain/dispute.js';
import { createLoaders } from '../gateway/loaders.js';

export const MAX_EVENTS_PAGE = 100;

/** An event as a subscription delivers it. */
type DeliveredEvent = DisputeEvent & { delivered: true };

/**
 * An event filter read once: the caller's accounts it can match (`named`), the history scope of a
 * set of those accounts (or of the one dispute it names), and whether an event passes it.
 */
function compileFilter(ctx: GatewayContext, filter: DisputeEventFilter | null | undefined) {
  const providers = filter?.providers ? new Set<string>(filter.providers) : null;
  const accounts = filter?.accounts ? new Set(filter.accounts.map((a) => accountKey(a.provider, a.account))) : null;
  const types = filter?.types ? new Set<string>(filter.types) : null;
  const dispute = filter?.disputeId != null ? decodeDisputeId(filter.disputeId, 'filter.disputeId') : null;
  const disputeRef = dispute && refKey(dispute);
  const named: [ProviderName, string][] = [...ctx.clients.values()]
    .filter(
      (c) =>
        (!providers || providers.has(c.name)) &&
        (!accounts || accounts.has(accountKey(c.name, c.account))) &&
        (!dispute || (dispute.provider === c.name && dispute.account === c.account)),
    )
    .map((c) => [c.name, c.account]);
  const matched = new Set(named.map(([p, a]) => accountKey(p, a)));
  return {
    named,
    scope: (readable: [ProviderName, string][] = named): EventScope => ({ accounts: readable.map(([p, a]) => accountKey(p, a)), dispute: disputeRef }),
    passes: (e: DisputeEvent) =>
      matched.has(accountKey(e.provider, e.account)) &&
      (!types || types.has(e.type)) &&
      (!disputeRef || disputeRef === refKey({ provider: e.provider, account: e.account, providerDisputeId: e.providerDisputeId })),
  };
}

/** An event by its global id, if this caller may see it and the history still has it. */
export async function eventById(ctx: GatewayContext, id: string, field = 'id'): Promise<DisputeEvent | null> {
  const ref = decodeEventId(id, field);
  if (!ctx.clients.has(accountKey(ref.provider, ref.account))) return null;
  return ctx.events.log.find(ref.provider, ref.account, ref.providerEventId);
}

export const eventResolvers: Resolvers = {
  Query: {
    disputeEvents: async (_, { first, after, filter }, ctx) => {
      const n = first ?? 10;
      if (!Number.isInteger(n) || n < 1 || n > MAX_EVENTS_PAGE) throw new BadUserInput(`first must be 1..${MAX_EVENTS_PAGE}`, 'first');
      const before = after != null ? decodeEventCursor(after, 'after', ctx.cursorKeys) : Infinity;
      const f = compileFilter(ctx, filter);
      const { events, more } = await ctx.events.log.newest(before, n, f.scope(), f.passes);
      const edges = events.map((node) => ({ cursor: encodeEventCursor(node.seq, ctx.cursorKeys), node }));
      return {
        edges,
        pageInfo: { hasNextPage: more, hasPreviousPage: after != null, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
      };
    },
  },
  Subscription: {
    disputeEvents: {
      subscribe: (_, { filter, after }, ctx) => {
        const f = compileFilter(ctx, filter);
        const afterSeq = after != null ? decodeEventCursor(after, 'after', ctx.cursorKeys) : undefined;
        // The key as the keys file has it now: a reload that narrows its providers or accounts
        // narrows what this subscription receives (and replays) from then on, and one whose filter
        // the key may no longer read ends with FORBIDDEN.
        const keyNow = ctx.keyNow;
        const reads = (key: ApiKey | null): key is ApiKey => key !== null && key.scopes.has('disputes:read');
        const readable = (): [ProviderName, string][] => {
          if (!keyNow) return f.named;
          const now = keyNow();
          return reads(now) ? f.named.filter(([p, a]) => reaches(now, p, a)) : [];
        };
        const keep = keyNow
          ? (e: DisputeEvent) => {
              const now = keyNow();
              return reads(now) && reaches(now, e.provider, e.account) && f.passes(e);
            }
          : f.passes;
        // Without keys, every caller is `anonymous`: each client address has its own share.
        const caller = ctx.caller.anonymous && ctx.clientAddress ? `anonymous@${ctx.clientAddress}` : ctx.caller.name;
        return ctx.events.subscribe(keep, {
          afterSeq,
          scope: () => f.scope(readable()),
          caller,
          valid:
            keyNow &&
            (() => {
              const now = keyNow();
              if (!now) return new GraphQLError('The API key of this subscription was revoked or has expired.', { extensions: { code: 'UNAUTHENTICATED' } });
              if (!reads(now) || (f.named.length > 0 && readable().length === 0)) {
                return new GraphQLError('The API key of this subscription may no longer read what it asks for.', { extensions: { code: 'FORBIDDEN' } });
              }
              return null;
            }),
        });
      },
      // Each event resolves with fresh loaders (a dispute read for one event is never another's
      // stale state), and an event stored without its dispute has it read once for every subscriber.
      resolve: (e: DisputeEvent, _args: unknown, ctx: GatewayContext): DeliveredEvent => {
        ctx.loaders = createLoaders(ctx.clients);
        return { ...e, delivered: true };
      },
    },
  },
  DisputeEvent: {
    id: (e) => encodeEventId(e),
    cursor: (e, _, ctx) => encodeEventCursor(e.seq, ctx.cursorKeys),
    // Carried, or read now (an event that carries no state and whose read failed when it came):
    // per request in a query, per event (shared by its subscribers) in a subscription.
    dispute: (e: DisputeEvent | DeliveredEvent, _, ctx) =>
      e.dispute ??
      ('delivered' in e
        ? ctx.events.disputeOf(e)
        : ctx.loaders.dispute.load({ provider: e.provider, account: e.account, providerDisputeId: e.providerDisputeId })),
  },
  DisputeEventConnection: {
    nodes: (c) => c.edges.map((e) => e.node),
  },
};

// A short-lived response cache for reads (off by default; RESPONSE_CACHE_TTL_MS turns it on), by
// yoga's response-cache plugin. What it keeps and for whom:
//   - queries only, and only whole answers without errors; never mutations or subscriptions;
//   - per caller: the cache key includes the API key's identity and its rights (name, scopes,
//     providers, accounts, the stored key's fingerprint), so one key never sees another's answer and
//     a key whose rights change in the keys file starts afresh; the edge still checks every request's
//     key and rate before the cache is asked;
//   - never the live parts: the event history (`Query.disputeEvents`, `DisputeEvent`) and providers'
//     breaker state (`ProviderHealth`).
// Invalidation: a mutation's answer invalidates every cached answer holding the disputes it returns
// (the plugin's own rule); every dispute event, webhook or the gateway's own, invalidates the
// answers holding that dispute; a CREATED event invalidates every cached answer holding any dispute
// (a list may now have a new member). With REDIS_URL the cache lives on Redis (shared by replicas,
// invalidations included) and events reach every replica; else in this process.
import { createHash } from 'node:crypto';
import { createInMemoryCache, useResponseCache, type Cache } from '@graphql-yoga/plugin-response-cache';
import type { Plugin } from 'graphql-yoga';
import { encodeDisputeId } from '../domain/ids.js';
import type { ApiKey } from '../auth/keys.js';
import type { DisputeEvent } from '../domain/event.js';
import type { GatewayMetrics } from '../ops/metrics.js';
import type { Logger } from '../logger.js';
import { operationOf } from '../context/operation.js';

/**
 * Marks a context whose query the cache must not answer or keep: yoga's plugin keys answers in its
 * HTTP hook (onParams), which WebSocket operations never pass through, and without that key it
 * fails the operation. So queries over WebSocket run uncached, checked per key like any other;
 * mutations over WebSocket still invalidate what they change.
 */
const UNCACHED = Symbol('response cache: not for this operation');
export function bypassResponseCache(context: object): void {
  (context as Record<symbol, boolean>)[UNCACHED] = true;
}
const bypassed = (context: unknown) => typeof context === 'object' && context !== null && (context as Record<symbol, boolean>)[UNCACHED] === true;

export interface ResponseCacheOptions {
  ttlMs: number;
  /** The store (Redis when shared); in memory by default. */
  cache?: Cache;
}

/** Who a cached answer is for: the key and its rights, or the open gateway's one audience. */
export function sessionOf(apiKey: ApiKey | null | undefined): string {
  if (!apiKey) return 'open';
  const sorted = (s: ReadonlySet<string> | null) => (s ? [...s].sort().join(',') : '*');
  return createHash('sha256')
    .update([apiKey.name, apiKey.fingerprint, sorted(apiKey.scopes), sorted(apiKey.providers), sorted(apiKey.accounts)].join('\n'))
    .digest('base64url');
}

export function responseCache(opts: ResponseCacheOptions, metrics: GatewayMetrics, logger: Logger): { plugins: Plugin[]; onEvent(e: DisputeEvent): void } {
  // In this process: at most 1,000 answers, least recently used forgotten first (the plugin's store).
  const store = opts.cache ?? createInMemoryCache();
  // A hit is counted where an answer is found; a miss where a query runs after all (the plugin looks
  // a missing answer up twice, in yoga's hook and in envelop's, so lookups would count it twice).
  const cache: Cache = {
    get: async (key) => {
      const found = await store.get(key);
      if (found) metrics.responseCache('hit');
      return found;
    },
    set: (...a) => store.set(...a),
    // Never fails the request that caused it (a mutation has already happened): a failed
    // invalidation (the shared store away) leaves answers at most the TTL old, and says so.
    invalidate: async (entities) => {
      try {
        await store.invalidate(entities);
      } catch (err) {
        logger.warn('response cache: an invalidation failed; cached answers may be stale until their TTL', {
          entities: [...entities].map((e) => e.typename).slice(0, 5),
          error: (err as Error).message,
        });
      }
    },
  };
  const plugin = useResponseCache({
    cache,
    enabled: (_request, context) => !bypassed(context),
    ttl: opts.ttlMs,
    session: (_request, context) => sessionOf((context as { apiKey?: ApiKey | null }).apiKey),
    ttlPerSchemaCoordinate: { 'Query.disputeEvents': 0 },
    ignoredTypes: ['DisputeEvent', 'DisputeEventConnection', 'ProviderHealth'],
  }) as Plugin;
  const misses: Plugin = {
    onExecute({ args }) {
      if (!bypassed(args.contextValue) && operationOf(args.document, args.operationName ?? undefined)?.operation === 'query') metrics.responseCache('miss');
    },
  };
  return {
    plugins: [plugin, misses],
    onEvent(e) {
      const id = encodeDisputeId({ provider: e.provider, account: e.account, providerDisputeId: e.providerDisputeId });
      void cache.invalidate(e.type === 'CREATED' ? [{ typename: 'Dispute' }] : [{ typename: 'Dispute', id }]);
    },
  };
}

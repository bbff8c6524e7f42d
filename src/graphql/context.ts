// Per-request context: the configured provider clients (shared, long-lived) and a fresh set of
// loaders (per request, per the DataLoader README). Nothing user-specific outlives a request.
import type { Clients } from '../providers/registry.js';
import type { GraphQLError } from 'graphql';
import DataLoader from 'dataloader';
import type { Dispute, ProviderName } from '../domain/dispute.js';
import { refKey, type DisputeRef } from '../domain/ids.js';
import type { MergeOptions } from '../gateway/merge.js';
import { reaches, type ApiKey } from '../auth/keys.js';
import type { CloseResult } from '../gateway/close.js';
import type { IdempotencyStore } from '../gateway/idempotency.js';
import type { CursorKeys } from '../gateway/cursor.js';
import type { Freshness, GatewayIndex } from '../gateway/indexed.js';
import { createLoaders, type Loaders } from '../gateway/loaders.js';
import type { Logger } from '../logger.js';
import type { UploadBudget } from '../gateway/upload-budget.js';
import type { EventHub } from '../events/hub.js';
import type { GatewayMetrics } from '../ops/metrics.js';

/** What lives as long as the gateway process. */
export interface GatewayServices {
  clients: Clients;
  idempotency: IdempotencyStore<CloseResult>;
  /** How long a claimed idempotency key is held for the attempt carrying it out (IDEMPOTENCY_LEASE_MS). */
  idempotencyLeaseMs?: number;
  inflight: Map<string, { fingerprint: string; result: Promise<CloseResult> }>;
  logger: Logger;
  merge: MergeOptions;
  cursorKeys: CursorKeys;
  /** Bytes of evidence files each key may upload an hour. */
  uploadBudget: UploadBudget;
  /** Provider events: the history, subscriptions, and the gateway's own changes. */
  events: EventHub;
  /** What is counted for /metrics (a no-op when metrics are off). */
  metrics: GatewayMetrics;
  /** The dispute index (INDEX=on); absent with INDEX=off. */
  index?: GatewayIndex;
}

/** What the HTTP layer decided about one request, handed to GraphQL with it. */
export interface RequestServerContext {
  /** The caller's valid API key; null when none was presented (or the gateway runs open). */
  apiKey: ApiKey | null;
  /** True only when the gateway runs without keys (sandbox, GATEWAY_AUTH=none). */
  open: boolean;
  /** Upstream calls this HTTP request may still cause, shared by every operation of a batch. */
  upstreamBudget: { limit: number; remaining: number };
  /** Whether the caller's key is still valid (not revoked or expired since the request began); absent on an open gateway. */
  keyValid?: () => boolean;
  /** The caller's key as the keys file has it now (a reload may have narrowed it), null once revoked or expired; absent on an open gateway. */
  keyNow?: () => ApiKey | null;
  /** The client's address (the TCP peer): without keys, what tells one caller's subscriptions from another's. */
  clientAddress?: string;
}

/** What resolvers report beside their data: partial failures and scan limits, added to the result. */
export interface Reports {
  errors: GraphQLError[];
  scanLimited: { path: (string | number)[]; provider: ProviderName; account: string; scannedPages: number }[];
  /** Pages served by the dispute index, and how fresh each is. */
  index: ({ path: (string | number)[] } & Freshness)[];
}

export interface Caller {
  /** The API key's name, or "anonymous" when the gateway runs open (or nobody is known). */
  name: string;
  anonymous: boolean;
  /** False when keys are required and none valid came with the request: nothing may run. */
  authenticated: boolean;
  canRead: boolean;
  canWrite: boolean;
  /** May stage and submit evidence and upload its files (evidence:write). */
  canSubmitEvidence: boolean;
}

/** Per request: when the index last had each dispute shown (pages from the index say; others are looked up, batched). */
export interface IndexedAt {
  syncedAt: WeakMap<Dispute, Date>;
  load: DataLoader<DisputeRef, Date | null, string>;
}

function indexedOf(index: GatewayIndex): IndexedAt {
  return {
    syncedAt: new WeakMap(),
    load: new DataLoader<DisputeRef, Date | null, string>((refs) => index.store.syncedAt(refs).catch(() => refs.map(() => null)), {
      cacheKeyFn: refKey,
      maxBatchSize: 200,
    }),
  };
}

export interface GatewayContext extends GatewayServices {
  loaders: Loaders;
  /** Null with INDEX=off. */
  indexed: IndexedAt | null;
  reports: Reports;
  caller: Caller;
  /** The upstream calls this HTTP request may still cause (all operations of a batch share it). */
  upstreamBudget: RequestServerContext['upstreamBudget'];
  /** Whether the caller's key is still valid: long-lived operations (subscriptions) check it again. */
  keyValid?: () => boolean;
  /** The key as it is now (null: revoked or expired): subscriptions apply narrowed rights with it. */
  keyNow?: () => ApiKey | null;
  /** The client's address, when the transport knows it. */
  clientAddress?: string;
}

/**
 * One request's context. A key limited to some providers (or accounts) sees only those: every
 * resolver reads `clients`, so another's disputes look exactly like disputes that do not exist.
 */
export function createContext(services: GatewayServices, server: Partial<RequestServerContext> = {}): GatewayContext {
  const key = server.apiKey ?? null;
  const clients = key?.providers || key?.accounts ? new Map([...services.clients].filter(([, c]) => reaches(key, c.name, c.account))) : services.clients;
  return {
    ...services,
    clients,
    loaders: createLoaders(clients, services.index && ((d, at) => void services.index!.sync.observe([{ dispute: d, observedAt: at, source: 'read' }]))),
    reports: { errors: [], scanLimited: [], index: [] },
    indexed: services.index ? indexedOf(services.index) : null,
    // Rights come from a key, or from the HTTP layer saying the gateway runs open; a request that
    // reached GraphQL with neither (a path that skipped the guard) has none.
    caller: key
      ? {
          name: key.name,
          anonymous: false,
          authenticated: true,
          canRead: key.scopes.has('disputes:read'),
          canWrite: key.scopes.has('disputes:write'),
          canSubmitEvidence: key.scopes.has('evidence:write'),
        }
      : server.open === true
        ? { name: 'anonymous', anonymous: true, authenticated: true, canRead: true, canWrite: true, canSubmitEvidence: true }
        : { name: 'anonymous', anonymous: true, authenticated: false, canRead: false, canWrite: false, canSubmitEvidence: false },
    upstreamBudget: server.upstreamBudget ?? { limit: Infinity, remaining: Infinity },
    keyValid: server.keyValid,
    keyNow: server.keyNow,
    clientAddress: server.clientAddress,
  };
}

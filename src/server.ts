// The gateway's HTTP server: GraphQL (and GraphiQL for browsers) at /graphql, probes at /healthz and
// /readyz. Requests pass the edge (http/edge.ts), then yoga (http/yoga-adapter.ts).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import type { AddressInfo } from 'node:net';
import { jitPlugin } from './graphql/jit-plugin.js';
import { loadPersistedDocuments, persistedDocumentFor, persistedDocumentsPlugin, type PersistedDocuments } from './graphql/persisted.js';
import { responseCache, type ResponseCacheOptions } from './graphql/response-cache.js';
import type { CompressionOptions } from './http/compress.js';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { createEdge, serveMetrics, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_EVIDENCE_BODY_BYTES, DEFAULT_MAX_UPLOAD_BYTES } from './http/edge.js';
import { graphiqlPage } from './http/graphiql.js';
import { directPathOn, yogaAnswer, type AnswerOptions, type YogaAnswer } from './http/yoga-adapter.js';
import { CursorKeys } from './gateway/cursor.js';
import type { ProcessStats } from './process-guards.js';
import type { AuthConfig } from './auth/keys.js';
import type { KeyRateLimiter } from './auth/rate.js';
import { createGuard, defaultAllowedHosts, ownOrigins } from './http/guard.js';
import { accessPlugin } from './graphql/access.js';
import type { ApiKey, KeyStore } from './auth/keys.js';
import { DEFAULT_MERGE_OPTIONS } from './gateway/connection.js';
import { InMemoryIdempotencyStore, type IdempotencyStore } from './gateway/idempotency.js';
import type { CloseResult } from './gateway/close.js';
import { inMemoryUploadBudget, type UploadBudget } from './gateway/upload-budget.js';
import type { ResilienceFactory } from './providers/resilience.js';
import type { AttemptObserver } from './providers/http.js';
import type { MergeOptions } from './gateway/merge.js';
import { reportsPlugin } from './graphql/reports-plugin.js';
import { metricsPlugin } from './graphql/metrics-plugin.js';
import { createMetrics, NO_METRICS, type GatewayMetrics, type Metrics } from './ops/metrics.js';
import { sendError } from './http/error.js';
import type { Tracer } from '@opentelemetry/api';
import { providerSpans, traceResolvers, tracingPlugin, type TraceTrust } from './ops/spans.js';
import { EventHub, type EventBus, type EventDedupe } from './events/hub.js';
import { DEFAULT_RETENTION, InMemoryEventLog, type EventLog, type EventRetention } from './events/log.js';
import { createWebhookEndpoint } from './http/webhooks.js';
import { attachGraphqlWs } from './http/ws.js';
import { DEFAULT_LIMITS, limitsPlugin, type QueryLimits } from './graphql/limits.js';
import { createContext, type GatewayContext, type GatewayServices, type RequestServerContext } from './graphql/context.js';
import { inputErrorsPlugin, makeMaskError } from './graphql/errors.js';
import { buildSchema } from './graphql/schema.js';
import type { Logger } from './logger.js';
import { createProviderSet, type ConfiguredProvider } from './providers/registry.js';
import type { IndexStore } from './index/store.js';
import { IndexSync } from './index/sync.js';
import { DeadlineReminders } from './index/reminders.js';
import { ReadCachedStore } from './index/cached.js';
import type { ReminderWindow } from './index/model.js';
import type { GatewayIndex } from './gateway/indexed.js';

/**
 * GraphiQL's first tab: the disputes waiting for an answer, nearest deadline first. An order and a
 * count only the index answers (with INDEX=off it is INDEX_UNAVAILABLE, and the next tab still works).
 */
export const INBOX_QUERY = `# Inbox: the disputes waiting for your answer and their count, nearest evidence deadline first.
# Past-due ones lead: add dueBy: { gte: "<now, ISO-8601>" } to the filter to start at today's.
# From the dispute index (Query.indexStatus says how fresh it is; with INDEX=off, use the next tab).
# Page on with after: <endCursor>; narrow with providers: [STRIPE], amount: { gte: 10000 }, search: "<an id or email>".
query Inbox {
  disputes(first: 25, orderBy: { field: DUE_BY, direction: ASC }, filter: { status: [NEEDS_RESPONSE, WARNING_NEEDS_RESPONSE] }) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      provider
      amount
      currency
      status
      reason
      evidenceDetails { dueBy pastDue }
      syncedAt
    }
  }
}
`;

/** GraphiQL's second tab: where the team stands, from the index's aggregates. */
export const DASHBOARD_QUERY = `# Dashboard: where you stand across every provider, counted by the dispute index (no provider call).
# Totals per provider and status; win rate per reason (won ÷ decided); money at risk per currency
# (open disputes: awaiting a response or under review), with what falls due soon.
# Group by PROVIDER, ACCOUNT, STATUS, REASON, CURRENCY, CREATED_MONTH; filter as disputes(filter:) does.
query Dashboard {
  totals: disputeStats(groupBy: [PROVIDER, STATUS]) {
    asOf
    groups { provider status count amounts { currency amount } }
  }
  winRateByReason: disputeStats(groupBy: [REASON]) {
    groups { reason count won lost winRate }
  }
  atRisk: disputeStats(groupBy: [CURRENCY], filter: { status: [NEEDS_RESPONSE, WARNING_NEEDS_RESPONSE, UNDER_REVIEW, WARNING_UNDER_REVIEW] }) {
    groups { currency open amounts { amount } dueWithin24h dueWithin72h pastDue }
  }
}
`;

export const EXAMPLE_QUERY = `# The newest disputes of every configured provider, as one list.
# Page on with after: <endCursor>; narrow with filter: { providers: [AFTERPAY], status: [NEEDS_RESPONSE] }.
query Disputes {
  disputes(first: 15) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      provider
      providerDisputeId
      amount
      currency
      status
      providerStatus
      reason
      created
      evidenceDetails { dueBy hasEvidence submissionCount }
      closable
    }
  }
  providers { provider displayName capabilities { filters pagination } }
}
`;

/** GraphiQL's fourth tab: preparing evidence with the guidance, checked before anything is sent. */
export const PREPARE_EVIDENCE = `# Prepare evidence: what wins this dispute's reason, what is still missing, then check an update
# without sending it (validateOnly), then stage it. Paste a NEEDS_RESPONSE dispute's id from the
# Inbox tab into the variables; run Guidance, then Check, then Stage (the ▶ button asks which).
query Guidance($id: ID!) {
  dispute(id: $id) {
    provider reason status
    evidenceDetails { dueBy submissionCount enhancedEligibility { visaCompellingEvidence3 { status requiredActions } visaCompliance { status } } }
    evidenceGuidance {
      summary variant completeness readyToSubmit blockers secondsToDeadline sources
      items { field variant level group satisfied accepted why }
    }
  }
}

mutation Check($id: ID!) {
  updateDisputeEvidence(input: {
    id: $id
    validateOnly: true
    evidence: { productDescription: "Blue kettle, 1.7 l", shippingCarrier: "UPS", shippingTrackingNumber: "1Z999AA10123456784" }
  }) {
    userErrors { code field message }
    guidance { completeness readyToSubmit blockers variant }
  }
}

mutation Stage($id: ID!) {
  updateDisputeEvidence(input: {
    id: $id
    evidence: { productDescription: "Blue kettle, 1.7 l", shippingCarrier: "UPS", shippingTrackingNumber: "1Z999AA10123456784" }
  }) {
    userErrors { code field message }
    guidance { completeness readyToSubmit blockers }
  }
}
`;

/** GraphiQL's fifth tab: contesting a dispute (files are uploaded with curl: docs/behaviour.md, Contesting a dispute). */
export const EVIDENCE_EXAMPLE = `# Contest a dispute: stage evidence, then submit it. Run Stage, then Submit
# (the ▶ button asks which). Paste a NEEDS_RESPONSE dispute's id from the Inbox tab into the variables.
# No idempotencyKey here: the gateway makes a fresh one for each call (and reuses it for that call's
# own retries). A program that retries on its own sends its own key, new for each call, e.g.
# idempotencyKey: "<crypto.randomUUID()>", and the same key only to retry that call.
mutation Stage($id: ID!) {
  updateDisputeEvidence(input: {
    id: $id
    evidence: { productDescription: "Blue kettle, 1.7 l", customerName: "Ada Lovelace", shippingTrackingNumber: "1Z999AA10123456784" }
    submit: false
  }) {
    dispute { status evidence { productDescription customerName } evidenceDetails { submissionCount dueBy } }
    userErrors { code field message }
  }
}

mutation Submit($id: ID!) {
  submitDisputeEvidence(input: { id: $id }) {
    dispute { status evidenceDetails { submissionCount } }
    userErrors { code field message }
  }
}
`;

/** GraphiQL's sixth tab: live events over server-sent events (deadline reminders among them). */
export const EVENTS_EXAMPLE = `# Live dispute events: run this and leave it open. Close or submit a dispute in another
# tab (the sandbox's fakes also send their signed webhooks, and open a new dispute every few
# minutes) and each change appears here as it happens. To catch up after a reconnect, pass the
# last event's cursor as after: "<cursor>"; Query.disputeEvents lists the recent history.
# Narrow with filter: { providers: [STRIPE], types: [CREATED, CLOSED] } (or disputeId); reminders
# only: filter: { types: [DEADLINE_APPROACHING] }.
subscription Events {
  disputeEvents {
    type
    reminderWindow
    provider
    occurredAt
    cursor
    dispute { id providerDisputeId status amount currency evidenceDetails { dueBy submissionCount } }
  }
}
`;

/**
 * The GraphiQL page: the Inbox and the Dashboard (index only), the newest disputes (answered with
 * the index on or off), preparing evidence, contesting a dispute, live events. A new tab starts with the newest disputes.
 */
export const GRAPHIQL_OPTIONS = {
  title: 'Dispute Gateway',
  defaultQuery: EXAMPLE_QUERY,
  defaultTabs: [
    { query: INBOX_QUERY },
    { query: DASHBOARD_QUERY },
    { query: EXAMPLE_QUERY },
    { query: PREPARE_EVIDENCE, variables: '{ "id": "<a dispute id from the Inbox>" }' },
    { query: EVIDENCE_EXAMPLE, variables: '{ "id": "<a dispute id from the Inbox>" }' },
    { query: EVENTS_EXAMPLE },
  ],
};

export interface GatewayOptions {
  providers: ConfiguredProvider[];
  logger: Logger;
  port?: number;
  host?: string;
  graphiql?: boolean;
  merge?: Partial<MergeOptions>;
  limits?: Partial<QueryLimits>;
  /** Largest JSON, GraphQL or form request body, in bytes (MAX_BODY_BYTES). */
  maxBodyBytes?: number;
  /** Largest multipart/form-data request body, files included, in bytes (MAX_UPLOAD_BYTES); streamed. */
  maxUploadBytes?: number;
  /** Bytes of evidence files each key may upload an hour (UPLOAD_BYTES_PER_HOUR). */
  uploadBytesPerHour?: number;
  /** Largest JSON body of a caller who may submit evidence (MAX_EVIDENCE_BODY_BYTES). */
  maxEvidenceBodyBytes?: number;
  /** Most operations in one batched request. */
  maxBatch?: number;
  /** Shown on /healthz. */
  stats?: ProcessStats;
  /** Who may call. Default: open (the sandbox and tests); main.ts decides for `npm start`. */
  auth?: AuthConfig;
  /** Browser origins allowed to call (CORS and CSRF), besides the gateway's own. */
  corsOrigins?: string[];
  /** Host names the gateway answers to (ALLOWED_HOSTS); default: loopback, the bound address, the public URL's host. */
  allowedHosts?: string[] | '*';
  /** The URL clients reach the gateway at (PUBLIC_URL), when a proxy is in front. */
  publicUrl?: string;
  /** Secrets cursors are signed with (CURSOR_SECRETS: the first signs, all verify); default: one per process. */
  cursorSecrets?: string[];
  /** Answer introspection queries (default true; INTROSPECTION=off in production). */
  introspection?: boolean;
  /**
   * State that replicas will share, injected here; each defaults to process memory: the
   * idempotency records of closes, the closes in flight, per-key request rates, and each provider
   * account's breaker and rate limit.
   */
  state?: Partial<SharedState>;
  /** Told about every upstream attempt, retries included (for metrics and tracing). */
  observeUpstream?: AttemptObserver;
  /** Compiles documents executed more than once with graphql-jit (default true; GRAPHQL_JIT=off). */
  jit?: boolean;
  /** A response cache for reads (graphql/response-cache.ts): off unless given (RESPONSE_CACHE_TTL_MS). */
  responseCache?: ResponseCacheOptions;
  /** Persisted documents (graphql/persisted.ts): a manifest file, and whether other documents run too. */
  persistedDocuments?: { mode: 'allow' | 'only'; file: string };
  /** Compressed answers: on, above 1 KiB, by default (COMPRESSION, COMPRESSION_MIN_BYTES). */
  compression?: CompressionOptions;
  /** More yoga plugins, after the gateway's own (metrics, tracing…). Every request runs them. */
  plugins?: GatewayPlugin[];
  /** Answer plain POSTs on the direct path where it may run (default true); false: yoga's hooks only. */
  fastPath?: boolean;
  /** How long and how many events the history keeps (EVENT_RETENTION_MS, EVENT_RETENTION_COUNT). */
  eventRetention?: Partial<EventRetention>;
  /** Largest webhook body (WEBHOOK_MAX_BODY_BYTES; default 1 MiB). */
  webhookMaxBodyBytes?: number;
  /** Webhook requests a second per endpoint (WEBHOOK_RATE_LIMIT; default 100). */
  webhookRateLimit?: number;
  /** Events one subscriber may leave unread before it is ended (default 1,000). */
  subscriberBuffer?: number;
  /** Subscriptions one key may hold open at once (SUBSCRIPTIONS_PER_KEY; default 100). */
  subscriptionsPerKey?: number;
  /** How long a claimed idempotency key is held for the attempt carrying it out (IDEMPOTENCY_LEASE_MS; default 30 s). */
  idempotencyLeaseMs?: number;
  /** How long a webhook event's claim waits for it to be stored before a redelivery may take it (default 120 s). */
  webhookClaimLeaseMs?: number;
  /** WebSocket connections one key (without keys: one client address) may hold open at once (WS_CONNECTIONS_PER_KEY; default 20). */
  wsConnectionsPerKey?: number;
  /** Prometheus metrics at GET /metrics (default on; METRICS=off). */
  metrics?: boolean;
  /** Serve /metrics on this port only (METRICS_PORT), not on the main one, so it need not be public. */
  metricsPort?: number;
  /** Traces: spans per request, operation, resolver and provider attempt (ops/tracing.ts starts one). Absent: off. */
  tracer?: Tracer;
  /** Whose incoming traceparent is continued (OTEL_TRUST_INCOMING_TRACE): callers with a valid key by default. */
  traceTrust?: TraceTrust;
  /**
   * Whether the shared state (Redis) answers, reported by /readyz. Reads go on without it, so the
   * gateway stays ready; what needs it is refused (SERVICE_UNAVAILABLE) until it returns.
   */
  sharedStateHealthy?: () => boolean;
  /** The dispute index (INDEX=on): its store, opened by the caller and owned by the gateway from here (closed with it). */
  index?: {
    store: IndexStore;
    reconcileEveryS: number;
    leaseMs?: number;
    /** The clock of the due counts and reminders (tests inject one). */
    now?: () => number;
    /** DEADLINE_REMINDERS and DEADLINE_REMINDER_TICK_S; absent or no windows: no reminders. */
    reminders?: { windows: ReminderWindow[]; tickMs: number };
  };
}

export type { RequestServerContext };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- yoga's plugin types do not compose over context types
export type GatewayPlugin = Plugin<any>;

export interface SharedState {
  idempotency: IdempotencyStore<CloseResult>;
  inflight: GatewayServices['inflight'];
  keyRateLimiter: KeyRateLimiter;
  resilience: ResilienceFactory;
  uploadBudget: UploadBudget;
  /** The event history, the claims of provider event ids, and the fan-out to subscribers. */
  eventLog: EventLog;
  eventDedupe: EventDedupe;
  eventBus: EventBus;
}

export { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_UPLOAD_BYTES };
export const DEFAULT_MAX_BATCH = 10;

export interface Gateway {
  url: string;
  server: Server;
  /** Whether plain POSTs take the direct path (http/yoga-adapter.ts): no plugin needs yoga's request-level hooks. */
  directPath: boolean;
  yoga: YogaServerInstance<RequestServerContext, GatewayContext>;
  services: GatewayServices;
  /**
   * Drain: /readyz turns 503 at once and the gateway keeps serving for `readinessDelayMs` (so a
   * load balancer sees it and stops sending), then stops accepting, lets in-flight requests finish
   * (up to graceMs), and closes the upstream pools.
   */
  close(graceMs?: number, readinessDelayMs?: number): Promise<void>;
  /** Where /metrics is served when it has its own port (METRICS_PORT); else on the main port, or off. */
  metricsUrl?: string;
  /** Replaces the API keys (the keys file read again): keys no longer there are refused, and their subscriptions end. */
  reloadKeys(store: KeyStore): void;
}

function createServices(opts: GatewayOptions, clients: GatewayServices['clients'], metrics: GatewayMetrics): GatewayServices {
  const events = new EventHub({
    clients,
    logger: opts.logger,
    metrics,
    log: opts.state?.eventLog ?? new InMemoryEventLog({ ...DEFAULT_RETENTION, ...opts.eventRetention }),
    dedupe: opts.state?.eventDedupe,
    bus: opts.state?.eventBus,
    maxBuffer: opts.subscriberBuffer,
    maxPerCaller: opts.subscriptionsPerKey,
    claimLeaseMs: opts.webhookClaimLeaseMs,
  });
  return {
    events,
    metrics,
    clients,
    idempotency: opts.state?.idempotency ?? new InMemoryIdempotencyStore(),
    idempotencyLeaseMs: opts.idempotencyLeaseMs,
    inflight: opts.state?.inflight ?? new Map(),
    logger: opts.logger,
    merge: { ...DEFAULT_MERGE_OPTIONS, ...opts.merge },
    cursorKeys: opts.cursorSecrets?.length ? new CursorKeys(opts.cursorSecrets) : CursorKeys.ephemeral(),
    uploadBudget: opts.state?.uploadBudget ?? inMemoryUploadBudget(opts.uploadBytesPerHour),
  };
}

/** This gateway's schema, its main resolvers wrapped in spans when tracing is on. */
function tracedSchema(tracer: Tracer | undefined) {
  const schema = buildSchema();
  if (tracer) traceResolvers(schema, tracer);
  return schema;
}

/** yoga's logger: its per-error lines are demoted (the mask logs the unexpected ones; the access line counts the rest). */
function yogaLogging(logger: Logger) {
  const at =
    (level: 'debug' | 'info' | 'warn') =>
    (...a: unknown[]) =>
      logger[level](String(a[0]), a.length > 1 ? { detail: a.slice(1) } : undefined);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('debug') };
}

function createGatewayYoga(opts: GatewayOptions, services: GatewayServices, schema: GraphQLSchema, plugins: GatewayPlugin[]) {
  const corsOrigins = opts.corsOrigins ?? [];
  return createYoga<RequestServerContext, GatewayContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    context: (server) => createContext(services, server),
    maskedErrors: { maskError: makeMaskError(opts.logger, services.metrics) },
    plugins,
    cors:
      corsOrigins.length > 0
        ? { origin: corsOrigins, methods: ['GET', 'POST'], allowedHeaders: ['authorization', 'content-type', 'accept'], credentials: false, maxAge: 600 }
        : false,
    batching: { limit: opts.maxBatch ?? DEFAULT_MAX_BATCH },
    // The edge bounds every body by its content type before yoga reads it (http/edge.ts).
    maxRequestBodySize: false,
    // The page is served by the edge (http/graphiql.ts); yoga never renders it.
    graphiql: false,
    logging: yogaLogging(opts.logger),
  });
}

/** The gateway's yoga plugins, in their order. Access before limits: a request without the right to run is refused before anything is estimated. */
function gatewayPlugins(
  opts: GatewayOptions,
  parts: { persisted?: PersistedDocuments; cache?: ReturnType<typeof responseCache>; metrics: Metrics | null; recorder: GatewayMetrics; limits: QueryLimits },
): GatewayPlugin[] {
  const { persisted, cache, metrics, recorder, limits } = parts;
  return [
    ...(persisted ? [persistedDocumentsPlugin(persisted)] : []),
    inputErrorsPlugin(),
    reportsPlugin(),
    // Before tracing, whose execute wraps the one set before it (the compiled one included).
    ...(opts.jit === false ? [] : [jitPlugin(opts.logger)]),
    // After graphql-jit, so its execute (which adds the fields that name cached entities) wraps the
    // compiled one rather than being replaced by it; after persisted documents, whose id it keys on
    // once resolved to the document.
    ...(cache ? cache.plugins : []),
    ...(metrics ? [metricsPlugin(recorder)] : []),
    ...(opts.tracer ? [tracingPlugin(opts.tracer)] : []),
    accessPlugin({ introspection: opts.introspection !== false }),
    limitsPlugin(limits),
    ...(opts.plugins ?? []),
  ];
}

/** What the HTTP layer hands GraphQL about a caller (the edge and WebSocket connections alike). */
function serverContextOf(guard: ReturnType<typeof createGuard>, limits: QueryLimits) {
  return (apiKey: ApiKey | null, req?: IncomingMessage): RequestServerContext => ({
    apiKey,
    clientAddress: req?.socket.remoteAddress,
    open: guard.open,
    keyValid: apiKey ? () => guard.stillValid(apiKey) : undefined,
    keyNow: apiKey ? () => guard.current(apiKey) : undefined,
    upstreamBudget: { limit: limits.maxUpstreamCalls, remaining: limits.maxUpstreamCalls },
  });
}

/** How requests reach yoga (http/yoga-adapter.ts): the direct path where it may run, persisted documents resolved there too. */
function answerOptionsOf(opts: GatewayOptions, plugins: GatewayPlugin[], limits: QueryLimits, persisted?: PersistedDocuments): AnswerOptions {
  return {
    direct: opts.fastPath,
    plugins,
    maxTokens: limits.maxTokens,
    compression: opts.compression,
    ...(persisted && {
      resolveDocument: (params) => {
        const found = persistedDocumentFor(persisted, params);
        return typeof found === 'string' ? found : null;
      },
    }),
  };
}

/** The HTTP edge in front of yoga: body bounds, the guard, GraphiQL, health, metrics and webhooks (http/edge.ts). */
function gatewayEdge(
  opts: GatewayOptions,
  parts: {
    guard: ReturnType<typeof createGuard>;
    services: GatewayServices;
    recorder: GatewayMetrics;
    serverContext: ReturnType<typeof serverContextOf>;
    answer: YogaAnswer<RequestServerContext>;
    metrics: Metrics | null;
    ready: () => boolean;
  },
) {
  const { logger } = opts;
  const { guard, services, recorder } = parts;
  return createEdge<RequestServerContext>({
    logger,
    guard,
    page: opts.graphiql === false ? null : graphiqlPage(GRAPHIQL_OPTIONS),
    maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    maxUploadBytes: opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
    maxEvidenceBodyBytes: opts.maxEvidenceBodyBytes ?? DEFAULT_MAX_EVIDENCE_BODY_BYTES,
    sendsEvidence: (key) => guard.open || (key?.scopes.has('evidence:write') ?? false),
    answer: parts.answer,
    serverContext: parts.serverContext,
    stats: opts.stats,
    tracer: opts.tracer,
    traceTrust: opts.traceTrust,
    ready: parts.ready,
    readiness: readinessOf(opts, services),
    metrics: parts.metrics && opts.metricsPort === undefined ? parts.metrics : null,
    webhooks: createWebhookEndpoint({
      providers: opts.providers,
      hub: services.events,
      logger,
      metrics: recorder,
      maxBodyBytes: opts.webhookMaxBodyBytes,
      perSecond: opts.webhookRateLimit,
    }),
  });
}

/** The index's sync started over the gateway's clients, told of every event published (here or, on a shared bus, by any replica), and its reminders. */
function startIndex(index: NonNullable<GatewayOptions['index']>, services: GatewayServices, logger: Logger): GatewayIndex {
  const now = index.now ?? Date.now;
  // The embedded store answers on the event loop (node:sqlite is synchronous): a question asked
  // again before the index changes (a dashboard polling, an inbox reloaded) is answered from memory,
  // exactly, since every write goes through this process. PostgreSQL answers off the loop, and other
  // replicas write to it unseen: it is asked each time.
  const store = index.store.kind === 'embedded' ? new ReadCachedStore(index.store, { maxPages: 50, maxCounts: 500 }) : index.store;
  let reminders: DeadlineReminders | undefined;
  const sync = new IndexSync(store, services.clients.values(), logger, {
    reconcileEveryS: index.reconcileEveryS,
    leaseMs: index.leaseMs,
    metrics: services.metrics,
    applied: (disputes) => void reminders?.changed(disputes),
  });
  if (index.reminders?.windows.length) {
    reminders = new DeadlineReminders(store, {
      ...index.reminders,
      now,
      logger,
      publish: (dispute, window) => services.events.reminder(dispute, window),
      leading: () => sync.leader,
      sent: (window) => services.metrics.reminderSent(window),
    });
  }
  services.events.onPublished((e) => {
    if (e.dispute && e.type !== 'DEADLINE_APPROACHING') void sync.observe([{ dispute: e.dispute, observedAt: e.occurredAt, source: 'webhook' }]);
  });
  sync.start();
  reminders?.start();
  return { store, sync, reminders, now };
}

/** What /readyz adds: the shared state's and the index's health. Neither makes it fail: the live path serves without them. */
function readinessOf(opts: GatewayOptions, services: GatewayServices): (() => Record<string, unknown>) | undefined {
  if (!opts.sharedStateHealthy && !services.index) return undefined;
  return () => ({
    ...(opts.sharedStateHealthy && { sharedState: opts.sharedStateHealthy() ? 'up' : 'down' }),
    ...(services.index && { index: services.index.sync.unavailable === null ? 'up' : 'down' }),
  });
}

/** The response cache (its entries dropped by events) and the persisted documents, when configured. */
function cacheAndDocuments(opts: GatewayOptions, services: GatewayServices, recorder: GatewayMetrics, schema: GraphQLSchema) {
  const cache = opts.responseCache ? responseCache(opts.responseCache, recorder, opts.logger) : undefined;
  if (cache) services.events.onPublished((e) => cache.onEvent(e));
  const persisted = opts.persistedDocuments ? loadPersistedDocuments(opts.persistedDocuments.file, opts.persistedDocuments.mode, schema) : undefined;
  if (persisted) opts.logger.info('persisted documents', { mode: persisted.mode, documents: persisted.documents.size });
  return { cache, persisted };
}

/** What the metrics read at each scrape, from services built after them. */
function scrapedFrom(services: () => GatewayServices): Parameters<typeof createMetrics>[0] {
  return { clients: () => services().clients.values(), subscribers: () => services().events.subscribers, index: () => services().index?.sync };
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const { logger } = opts;
  const limits: QueryLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  // Metrics first: the provider pipelines report every attempt to them.
  const metrics = opts.metrics === false ? null : createMetrics(scrapedFrom(() => services));
  const recorder = metrics?.recorder ?? NO_METRICS;
  const observe: AttemptObserver | undefined = metrics || opts.observeUpstream ? (e) => (recorder.upstream(e), opts.observeUpstream?.(e)) : undefined;
  const providerSet = createProviderSet(opts.providers, logger, opts.state?.resilience, observe, opts.tracer && providerSpans(opts.tracer));
  const services = createServices(opts, providerSet.clients, recorder);
  services.index = opts.index && startIndex(opts.index, services, logger);
  const host = opts.host ?? '127.0.0.1';
  const allowedHosts = opts.allowedHosts ?? defaultAllowedHosts(host, opts.publicUrl);
  // The gateway's own origins depend on its port, known once it listens: filled in below.
  const allowedOrigins: string[] = [...(opts.corsOrigins ?? [])];
  const guard = createGuard({ auth: opts.auth ?? { mode: 'open' }, allowedHosts, allowedOrigins, logger, keyRateLimiter: opts.state?.keyRateLimiter });
  // One schema, built once: yoga's, and the one the persisted documents are checked against.
  const schema = tracedSchema(opts.tracer);
  const { cache, persisted } = cacheAndDocuments(opts, services, recorder, schema);
  const plugins = gatewayPlugins(opts, { persisted, cache, metrics, recorder, limits });
  const yoga = createGatewayYoga(opts, services, schema, plugins);
  let draining = false;
  const serverContext = serverContextOf(guard, limits);
  const answerOptions = answerOptionsOf(opts, plugins, limits, persisted);
  const edge = gatewayEdge(opts, { guard, services, recorder, serverContext, answer: yogaAnswer(yoga, answerOptions), metrics, ready: () => !draining });
  const server = createServer(edge);
  const maxPayload = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const ws = attachGraphqlWs({ server, yoga, guard, serverContext, logger, maxPayload, connectionsPerKey: opts.wsConnectionsPerKey, persisted });
  const port = await listen(server, opts.port ?? 0, host);
  allowedOrigins.push(...ownOrigins(allowedHosts, port, opts.publicUrl));
  const url = urlOf(host, port, '/graphql');
  const metricsServer = metrics && opts.metricsPort !== undefined ? await listenMetrics(metrics, host, opts.metricsPort) : null;

  return {
    url,
    server,
    yoga,
    services,
    directPath: directPathOn(answerOptions),
    reloadKeys: (store) => {
      guard.reload(store);
      ws.recheck();
    },
    metricsUrl: metricsServer ? urlOf(host, (metricsServer.address() as AddressInfo).port, '/metrics') : undefined,
    async close(graceMs = 10_000, readinessDelayMs = 0) {
      draining = true;
      if (readinessDelayMs > 0) await new Promise((r) => setTimeout(r, readinessDelayMs));
      // Open subscriptions end (their clients reconnect elsewhere with `after`), so the server can drain.
      services.events.close();
      await ws.close();
      await drain(server, graceMs, logger);
      if (metricsServer) await new Promise((r) => metricsServer.close(r));
      // The sync stops before the clients it calls close; the store last.
      await services.index?.reminders?.stop();
      await services.index?.sync.stop();
      await services.index?.store.close();
      await providerSet.close();
    },
  };
}

/** /metrics on a port of its own (METRICS_PORT), so the main port need not expose it. */
async function listenMetrics(metrics: Metrics, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    if ((req.url ?? '/').split('?')[0] === '/metrics') serveMetrics(metrics, res).catch(() => res.destroy());
    else sendError(res, 404, 'NOT_FOUND', 'Only /metrics is served here.');
  });
  await listen(server, port, host);
  return server;
}

/** Listens on `host:port` (0: a free port); the port it got. */
async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

const urlOf = (host: string, port: number, path: string) => `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;

/** Stops accepting, lets in-flight requests finish for up to graceMs, then closes what remains. */
async function drain(server: Server, graceMs: number, logger: Logger): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs);
  });
  if ((await Promise.race([closed, late])) === 'late') {
    logger.warn('shutdown grace period over: closing the remaining connections', { graceMs });
    server.closeAllConnections();
    await closed;
  }
  clearTimeout(timer);
}

// Prometheus metrics, by prom-client, in a registry of the gateway's own. Every label value is
// from a bounded set: providers, accounts, operations and outcomes the gateway names itself, error
// codes it defines, and operation names cut to a safe form and capped in number (the rest are
// `other`; unnamed operations are `anonymous`). Never a dispute id, a key or an operation's text.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AttemptEvent } from '../providers/http.js';
import type { DisputeProviderClient } from '../providers/types.js';
import type { IndexPhase } from '../index/sync.js';

/** What the gateway tells its metrics; a no-op when metrics are off. */
export interface GatewayMetrics {
  upstream(e: AttemptEvent): void;
  /** name null: refused before it ran (access, limits, variables); counted as `refused`, taking no name slot. */
  operation(name: string | undefined | null, type: string, outcome: 'ok' | 'error', seconds: number): void;
  graphqlErrors(codes: readonly string[]): void;
  /** A mutation's audited result (closeDispute, the evidence mutations), refusals included. */
  mutation(audit: string, provider: string | null, result: string): void;
  webhook(provider: string, result: string): void;
  published(provider: string, type: string): void;
  /** A response cache lookup (RESPONSE_CACHE_TTL_MS): hit or miss. */
  responseCache(result: 'hit' | 'miss'): void;
  /** Upstream calls the index's sync made for an account, by phase: backfill, sweep (the list head), reread (open disputes), replay (the event list). */
  indexCalls(provider: string, account: string, phase: IndexPhase, n: number): void;
  /** One reconciliation pass of an account: its outcome, how long it took, and what it cost upstream. */
  indexPass(provider: string, account: string, outcome: 'ok' | 'error', seconds: number, calls: number): void;
  /** Observations offered to the index by source: how many changed a row, how many were stale (older than what it holds). */
  indexApplied(source: string, changed: number, stale: number): void;
  /** A deadline reminder published, by window. */
  reminderSent(window: string): void;
}

/** What the index's gauges read at each scrape. */
export interface IndexGaugeSource {
  /** Open disputes and their amount per provider and currency; null when the store cannot say. */
  openByProvider(nowMs: number): Promise<{ provider: string; currency: string; open: number; amount: number }[] | null>;
  status(): Promise<{ provider: string; account: string; state: string; disputes: number; lagSeconds: number | null; backfill: { listed: number } | null }[]>;
}

const INDEX_STATES = ['BACKFILLING', 'LIVE', 'DEGRADED', 'OFF'] as const;

export const NO_METRICS: GatewayMetrics = {
  upstream() {},
  operation() {},
  graphqlErrors() {},
  mutation() {},
  webhook() {},
  published() {},
  responseCache() {},
  indexCalls() {},
  indexPass() {},
  indexApplied() {},
  reminderSent() {},
};

/** Distinct operation names kept as labels; past it they count as `other`. */
export const MAX_OPERATION_NAMES = 200;

const BREAKER_STATE = { CLOSED: 0, HALF_OPEN: 1, OPEN: 2 } as const;

const statusClass = (status: number | undefined) => (status === undefined ? 'none' : `${Math.floor(status / 100)}xx`);

const EVIDENCE_OPERATIONS: Record<string, string> = {
  updateDisputeEvidence: 'update',
  submitDisputeEvidence: 'submit',
  uploadDisputeEvidenceFile: 'upload',
};

export interface Metrics {
  registry: Registry;
  recorder: GatewayMetrics;
  /** The exposition: Prometheus text format. */
  render(): Promise<{ contentType: string; body: string }>;
}

const counter = (registry: Registry, name: string, help: string, labelNames: string[]) => new Counter({ name, help, labelNames, registers: [registry] });

/** Provider calls: attempts, their durations, and each account's breaker. */
function upstreamMetrics(registry: Registry, clients: () => Iterable<DisputeProviderClient>): Pick<GatewayMetrics, 'upstream'> {
  const total = counter(registry, 'dispute_gateway_upstream_requests_total', 'Requests to providers, one per attempt (retries included).', [
    'provider',
    'account',
    'operation',
    'status_class',
    'outcome',
  ]);
  const duration = new Histogram({
    name: 'dispute_gateway_upstream_request_duration_seconds',
    help: 'Duration of each attempt at a provider, in seconds.',
    labelNames: ['provider', 'account', 'operation', 'outcome'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
    registers: [registry],
  });
  new Gauge({
    name: 'dispute_gateway_circuit_state',
    help: "Each provider account's circuit breaker: 0 closed, 1 half-open, 2 open.",
    labelNames: ['provider', 'account'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of clients()) this.set({ provider: c.name, account: c.account }, BREAKER_STATE[c.health().state]);
    },
  });
  return {
    upstream(e) {
      total.inc({ provider: e.provider, account: e.account, operation: e.operation, status_class: statusClass(e.status), outcome: e.outcome });
      duration.observe({ provider: e.provider, account: e.account, operation: e.operation, outcome: e.outcome }, e.durationMs / 1000);
    },
  };
}

const codeLabel = (code: string) => (/^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : 'OTHER');

/**
 * Operation names as label values, at most MAX_OPERATION_NAMES of them. A slot is a name's for the
 * process: only operations that were let run take one, so a caller refused (no scope, over a
 * limit) cannot fill the slots with junk names.
 */
function operationNameLabels(): (name: string | undefined | null) => string {
  const names = new Set<string>();
  return (name) => {
    if (name === null) return 'refused';
    if (!name) return 'anonymous';
    const safe = name.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 64);
    if (names.has(safe)) return safe;
    if (names.size >= MAX_OPERATION_NAMES) return 'other';
    names.add(safe);
    return safe;
  };
}

/** GraphQL operations, their durations and errors, and the money-moving mutations' results. */
function graphqlMetrics(registry: Registry): Pick<GatewayMetrics, 'operation' | 'graphqlErrors' | 'mutation' | 'responseCache'> {
  const operations = counter(registry, 'dispute_gateway_graphql_operations_total', 'GraphQL operations executed (subscriptions counted when they start).', [
    'operation_name',
    'operation_type',
    'outcome',
  ]);
  const operationDuration = new Histogram({
    name: 'dispute_gateway_graphql_operation_duration_seconds',
    help: 'Duration of GraphQL operations, in seconds.',
    labelNames: ['operation_name', 'operation_type'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const errors = counter(registry, 'dispute_gateway_graphql_errors_total', 'GraphQL errors in answers, by extensions.code.', ['code']);
  const closes = counter(registry, 'dispute_gateway_closes_total', 'closeDispute calls by result: CLOSED, or the user error or error code.', [
    'provider',
    'result',
  ]);
  const evidence = counter(
    registry,
    'dispute_gateway_evidence_total',
    'Evidence mutations by operation (update, submit, upload) and result: STAGED, SUBMITTED, UPLOADED, or the code.',
    ['provider', 'operation', 'result'],
  );
  const responseCache = counter(
    registry,
    'dispute_gateway_response_cache_lookups_total',
    'Response cache lookups (when RESPONSE_CACHE_TTL_MS is set), by result: hit or miss. The hit ratio is hit / (hit + miss).',
    ['result'],
  );
  const nameLabel = operationNameLabels();
  return {
    operation(name, type, outcome, seconds) {
      const label = nameLabel(name);
      operations.inc({ operation_name: label, operation_type: type, outcome });
      operationDuration.observe({ operation_name: label, operation_type: type }, seconds);
    },
    graphqlErrors(codes) {
      for (const c of codes) errors.inc({ code: codeLabel(c) });
    },
    mutation(audit, provider, result) {
      const p = provider ?? 'unknown';
      if (audit === 'closeDispute') closes.inc({ provider: p, result: codeLabel(result) });
      else if (EVIDENCE_OPERATIONS[audit]) evidence.inc({ provider: p, operation: EVIDENCE_OPERATIONS[audit]!, result: codeLabel(result) });
    },
    responseCache(result) {
      responseCache.inc({ result });
    },
  };
}

/** Webhooks received, events published, subscriptions open. */
function eventMetrics(registry: Registry, subscribers: () => number): Pick<GatewayMetrics, 'webhook' | 'published'> {
  const webhooks = counter(
    registry,
    'dispute_gateway_webhooks_received_total',
    'Webhook requests by provider and result: accepted, duplicate, or why not (bad_signature, stale, future, missing_headers, malformed, busy, unavailable, rate_limited, too_large).',
    ['provider', 'result'],
  );
  const published = counter(registry, 'dispute_gateway_events_published_total', 'Dispute events published, by provider and type.', ['provider', 'type']);
  new Gauge({
    name: 'dispute_gateway_active_subscriptions',
    help: 'GraphQL subscriptions open now (SSE and WebSocket).',
    registers: [registry],
    collect() {
      this.set(subscribers());
    },
  });
  return {
    webhook(provider, result) {
      webhooks.inc({ provider, result });
    },
    published(provider, type) {
      published.inc({ provider, type });
    },
  };
}

/** Open disputes and money at risk, per provider (and currency): one GROUP BY per scrape, shared by both gauges. */
function openGauges(registry: Registry, index: () => IndexGaugeSource | undefined): void {
  let open: { at: number; rows: ReturnType<IndexGaugeSource['openByProvider']> } | null = null;
  const openRows = () => {
    const source = index();
    if (!source) return Promise.resolve(null);
    if (!open || Date.now() - open.at > 1_000) open = { at: Date.now(), rows: source.openByProvider(Math.floor(Date.now() / 1000) * 1000) };
    return open.rows;
  };
  new Gauge({
    name: 'dispute_gateway_open_disputes',
    help: 'Disputes open (awaiting a response or under review) in the index, per provider.',
    labelNames: ['provider'],
    registers: [registry],
    async collect() {
      this.reset();
      const sums = new Map<string, number>();
      for (const r of (await openRows()) ?? []) sums.set(r.provider, (sums.get(r.provider) ?? 0) + r.open);
      for (const [provider, n] of sums) this.set({ provider }, n);
    },
  });
  new Gauge({
    name: 'dispute_gateway_amount_at_risk',
    help: 'The amount of open disputes in the index, in minor units, per provider and currency.',
    labelNames: ['provider', 'currency'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of (await openRows()) ?? []) this.set({ provider: r.provider, currency: r.currency }, r.amount);
    },
  });
}

/** Each account's state, size, lag and backfill progress, read from the index at scrape. */
function indexGauges(registry: Registry, index: () => IndexGaugeSource | undefined): void {
  const perAccount = (name: string, help: string, value: (s: Awaited<ReturnType<IndexGaugeSource['status']>>[number]) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['provider', 'account'],
      registers: [registry],
      async collect() {
        this.reset();
        const source = index();
        if (!source) return;
        for (const s of await source.status()) {
          const v = value(s);
          if (v !== null) this.set({ provider: s.provider, account: s.account }, v);
        }
      },
    });
  perAccount('dispute_gateway_index_disputes', 'Disputes the index holds, per account.', (s) => s.disputes);
  perAccount(
    'dispute_gateway_index_lag_seconds',
    'Seconds since the index last confirmed an account whole (backfill, sweep or reconciliation).',
    (s) => s.lagSeconds,
  );
  perAccount(
    'dispute_gateway_index_backfill_listed',
    'Disputes listed so far by a running backfill (absent once the account is live).',
    (s) => s.backfill?.listed ?? null,
  );
  openGauges(registry, index);
  new Gauge({
    name: 'dispute_gateway_index_state',
    help: "Each account's index state: 1 for the state it is in (BACKFILLING, LIVE, DEGRADED, OFF), 0 for the others.",
    labelNames: ['provider', 'account', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      const source = index();
      if (!source) return;
      for (const s of await source.status())
        for (const state of INDEX_STATES) this.set({ provider: s.provider, account: s.account, state }, s.state === state ? 1 : 0);
    },
  });
}

/** The dispute index: what its sync costs and what it takes in (its gauges: indexGauges). */
function indexMetrics(
  registry: Registry,
  index: () => IndexGaugeSource | undefined,
): Pick<GatewayMetrics, 'indexCalls' | 'indexPass' | 'indexApplied' | 'reminderSent'> {
  const reminders = counter(registry, 'dispute_gateway_reminders_sent_total', 'Deadline reminders published (DEADLINE_APPROACHING), by window.', ['window']);
  const calls = counter(
    registry,
    'dispute_gateway_index_upstream_calls_total',
    "Provider calls made by the index's sync, by phase: backfill, sweep (the list head), reread (open disputes one by one), replay (the event list).",
    ['provider', 'account', 'phase'],
  );
  const passes = counter(registry, 'dispute_gateway_index_reconcile_passes_total', 'Reconciliation passes, by outcome.', ['provider', 'account', 'outcome']);
  const passDuration = new Histogram({
    name: 'dispute_gateway_index_reconcile_duration_seconds',
    help: 'How long each reconciliation pass took, in seconds.',
    labelNames: ['provider', 'account'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const passCalls = new Gauge({
    name: 'dispute_gateway_index_reconcile_last_calls',
    help: 'Provider calls the last reconciliation pass of each account made: its cost.',
    labelNames: ['provider', 'account'],
    registers: [registry],
  });
  const applied = counter(
    registry,
    'dispute_gateway_index_observations_total',
    'Dispute states offered to the index, by source (backfill, reconcile, replay, webhook, read, mutation) and result: changed, or stale (older than what it holds).',
    ['source', 'result'],
  );
  indexGauges(registry, index);
  return {
    indexCalls(provider, account, phase, n) {
      calls.inc({ provider, account, phase }, n);
    },
    indexPass(provider, account, outcome, seconds, n) {
      passes.inc({ provider, account, outcome });
      passDuration.observe({ provider, account }, seconds);
      passCalls.set({ provider, account }, n);
    },
    reminderSent(window) {
      reminders.inc({ window });
    },
    indexApplied(source, changed, stale) {
      if (changed) applied.inc({ source, result: 'changed' }, changed);
      if (stale) applied.inc({ source, result: 'stale' }, stale);
    },
  };
}

export function createMetrics(opts: {
  clients: () => Iterable<DisputeProviderClient>;
  subscribers: () => number;
  /** The index, once started (absent with INDEX=off: its gauges stay empty). */
  index?: () => IndexGaugeSource | undefined;
}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const recorder: GatewayMetrics = {
    ...upstreamMetrics(registry, opts.clients),
    ...graphqlMetrics(registry),
    ...eventMetrics(registry, opts.subscribers),
    ...indexMetrics(registry, opts.index ?? (() => undefined)),
  };
  return {
    registry,
    recorder,
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

// Process-level settings from the environment. Provider settings live with each provider.
import { parseReminderWindows } from './index/reminders.js';
import type { ReminderWindow } from './index/model.js';
import { ConfigError, nonNegativeIntEnv, positiveIntEnv } from './providers/env.js';
import type { Level } from './logger.js';

export interface ProcessConfig {
  port: number;
  host: string;
  logLevel: Level;
  /** Run against the built-in fake providers. */
  sandbox: boolean;
  sandboxSeed: number;
  graphiql: boolean;
  /** How long SIGTERM waits for in-flight requests. */
  shutdownGraceMs: number;
  /** On SIGTERM, how long /readyz answers 503 while the gateway still serves, before it stops accepting. */
  readinessDelayMs: number;
  /** Largest JSON, GraphQL or form body (MAX_BODY_BYTES). */
  maxBodyBytes: number;
  /** Largest multipart/form-data body, files included (MAX_UPLOAD_BYTES); streamed. */
  maxUploadBytes: number;
  /** Largest JSON body of a caller with evidence:write (MAX_EVIDENCE_BODY_BYTES). */
  maxEvidenceBodyBytes: number;
  /** Bytes of evidence files each key may upload an hour (UPLOAD_BYTES_PER_HOUR). */
  uploadBytesPerHour: number;
  introspection: boolean;
  corsOrigins: string[];
  /** GATEWAY_AUTH: 'none' runs without keys outside the sandbox (loudly); else keys are required. */
  authNone: boolean;
  keyRateLimit: { perSecond: number; burst: number };
  /** ALLOWED_HOSTS: Host names answered ('*': any); undefined: the defaults (see http/guard.ts). */
  allowedHosts?: string[] | '*';
  /** PUBLIC_URL: where clients reach the gateway, when a proxy is in front. */
  publicUrl?: string;
  /** CURSOR_SECRETS: the first signs cursors, all verify; undefined: a secret per process. */
  cursorSecrets?: string[];
  /** MAX_UPSTREAM_CALLS: provider calls one request may cause. */
  maxUpstreamCalls: number;
  /** EVENT_RETENTION_MS and EVENT_RETENTION_COUNT: how long and how many events the history keeps. */
  eventRetention: { maxAgeMs: number; maxEvents: number };
  /** WEBHOOK_MAX_BODY_BYTES: the largest webhook body. */
  webhookMaxBodyBytes: number;
  /** WEBHOOK_RATE_LIMIT: webhook requests a second per endpoint. */
  webhookRateLimit: number;
  /** SANDBOX_NEW_DISPUTE_EVERY_S: in the sandbox, a new dispute this often (0: never). */
  sandboxNewDisputeEveryS: number;
  /** PERSISTED_DOCUMENTS (off, allow, only) and PERSISTED_DOCUMENTS_FILE (the manifest). */
  persistedDocuments?: { mode: 'allow' | 'only'; file: string };
  /** RESPONSE_CACHE_TTL_MS: cache read answers this long (0, the default: no cache). */
  responseCacheTtlMs: number;
  /** COMPRESSION (default on) and COMPRESSION_MIN_BYTES (1024): compressed answers. */
  compression: { enabled: boolean; minBytes: number };
  /** GRAPHQL_JIT: compile queries run more than once with graphql-jit (default on). */
  jit: boolean;
  /** METRICS: Prometheus metrics at /metrics (default on). */
  metrics: boolean;
  /** METRICS_PORT: serve /metrics on this port only. */
  metricsPort?: number;
  /** REDIS_URL and its settings: every shared store on Redis. */
  redis?: { url: string; prefix: string; commandTimeoutMs: number };
  /** IDEMPOTENCY_LEASE_MS: how long a claimed key is held for the attempt carrying it out. */
  idempotencyLeaseMs: number;
  /** SUBSCRIPTIONS_PER_KEY: subscriptions one key may hold open at once. */
  subscriptionsPerKey: number;
  /** WS_CONNECTIONS_PER_KEY: WebSocket connections one key (or, without keys, one client address) may hold open at once. */
  wsConnectionsPerKey: number;
  /** INDEX (on by default), DATABASE_URL (PostgreSQL; unset: the embedded store in DATA_DIR), INDEX_RECONCILE_EVERY_S. */
  index: IndexSettings | null;
}

export interface IndexSettings {
  /** postgres://… shared by replicas; undefined: the embedded store. */
  databaseUrl?: string;
  /** Where the embedded store lives (DATA_DIR, default ./data). */
  dataDir: string;
  reconcileEveryS: number;
  /** INDEX_LEASE_S: the sync lease's term with several replicas; a leader that dies hands over within it. */
  leaseS: number;
  /** DEADLINE_REMINDERS (default 72h,24h; `off`: none), shortest first. */
  reminders: ReminderWindow[];
  /** DEADLINE_REMINDER_TICK_S: how often the windows are evaluated for the passage of time. */
  reminderTickS: number;
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export function processConfig(env: NodeJS.ProcessEnv, anyProviderConfigured: boolean): ProcessConfig {
  // PORT=0 asks the OS for a free port (the ready line says which).
  const port = env.PORT?.trim() === '0' ? 0 : positiveIntEnv(env, 'PORT', 4000);
  if (port > 65535) throw new ConfigError(`PORT must be at most 65535, got ${port}`);
  const level = (env.LOG_LEVEL?.trim() || 'info') as Level;
  if (!LEVELS.includes(level)) throw new ConfigError(`LOG_LEVEL must be one of ${LEVELS.join(', ')}`);
  const flag = (name: string) => ['1', 'true', 'yes', 'on'].includes(env[name]?.trim().toLowerCase() ?? '');
  return {
    port,
    host: env.HOST?.trim() || '127.0.0.1',
    logLevel: level,
    sandbox: flag('SANDBOX') || !anyProviderConfigured,
    sandboxSeed: env.SANDBOX_SEED?.trim() ? positiveIntEnv(env, 'SANDBOX_SEED', 42) : 42,
    graphiql: !off(env.GRAPHIQL),
    shutdownGraceMs: positiveIntEnv(env, 'SHUTDOWN_GRACE_MS', 10_000),
    readinessDelayMs: nonNegativeIntEnv(env, 'SHUTDOWN_READINESS_DELAY_MS', 0),
    maxBodyBytes: positiveIntEnv(env, 'MAX_BODY_BYTES', 100 * 1024),
    maxUploadBytes: positiveIntEnv(env, 'MAX_UPLOAD_BYTES', 10 * 1024 * 1024),
    maxEvidenceBodyBytes: positiveIntEnv(env, 'MAX_EVIDENCE_BODY_BYTES', 720 * 1024),
    uploadBytesPerHour: positiveIntEnv(env, 'UPLOAD_BYTES_PER_HOUR', 500 * 1024 * 1024),
    introspection: !off(env.INTROSPECTION),
    corsOrigins: corsOrigins(env.CORS_ORIGINS),
    authNone: authMode(env.GATEWAY_AUTH) === 'none',
    keyRateLimit: { perSecond: positiveIntEnv(env, 'GATEWAY_KEY_RATE_LIMIT', 50), burst: positiveIntEnv(env, 'GATEWAY_KEY_BURST', 100) },
    allowedHosts: allowedHosts(env.ALLOWED_HOSTS),
    publicUrl: publicUrl(env.PUBLIC_URL),
    cursorSecrets: cursorSecrets(env.CURSOR_SECRETS),
    maxUpstreamCalls: positiveIntEnv(env, 'MAX_UPSTREAM_CALLS', 400),
    eventRetention: { maxAgeMs: positiveIntEnv(env, 'EVENT_RETENTION_MS', 24 * 3600_000), maxEvents: positiveIntEnv(env, 'EVENT_RETENTION_COUNT', 10_000) },
    webhookMaxBodyBytes: positiveIntEnv(env, 'WEBHOOK_MAX_BODY_BYTES', 1024 * 1024),
    webhookRateLimit: positiveIntEnv(env, 'WEBHOOK_RATE_LIMIT', 100),
    sandboxNewDisputeEveryS: nonNegativeIntEnv(env, 'SANDBOX_NEW_DISPUTE_EVERY_S', 180),
    jit: !off(env.GRAPHQL_JIT),
    responseCacheTtlMs: nonNegativeIntEnv(env, 'RESPONSE_CACHE_TTL_MS', 0),
    persistedDocuments: persistedSettings(env),
    compression: { enabled: !off(env.COMPRESSION), minBytes: nonNegativeIntEnv(env, 'COMPRESSION_MIN_BYTES', 1024) },
    metrics: !off(env.METRICS),
    metricsPort: env.METRICS_PORT?.trim() ? positiveIntEnv(env, 'METRICS_PORT', 9464) : undefined,
    redis: redisSettings(env),
    idempotencyLeaseMs: positiveIntEnv(env, 'IDEMPOTENCY_LEASE_MS', 30_000),
    subscriptionsPerKey: positiveIntEnv(env, 'SUBSCRIPTIONS_PER_KEY', 100),
    wsConnectionsPerKey: positiveIntEnv(env, 'WS_CONNECTIONS_PER_KEY', 20),
    index: indexSettings(env),
  };
}

/** The index's settings, each checked: a malformed one stops the gateway naming it. */
export function indexSettings(env: NodeJS.ProcessEnv): IndexSettings | null {
  const mode = env.INDEX?.trim().toLowerCase() || 'on';
  if (mode !== 'on' && mode !== 'off') throw new ConfigError(`INDEX must be on or off, got ${JSON.stringify(env.INDEX)}`);
  const reconcileEveryS = positiveIntEnv(env, 'INDEX_RECONCILE_EVERY_S', 300);
  const leaseS = positiveIntEnv(env, 'INDEX_LEASE_S', 15);
  const reminderTickS = positiveIntEnv(env, 'DEADLINE_REMINDER_TICK_S', 60);
  let reminders: ReminderWindow[];
  try {
    reminders = parseReminderWindows(env.DEADLINE_REMINDERS?.trim() || '72h,24h');
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  if (mode === 'off' && env.DEADLINE_REMINDERS?.trim() && reminders.length > 0) {
    throw new ConfigError('DEADLINE_REMINDERS needs the dispute index, which INDEX=off turns off: unset one of them (or DEADLINE_REMINDERS=off)');
  }
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl !== undefined) {
    let u: URL | null = null;
    try {
      u = new URL(databaseUrl);
    } catch {
      // reported below
    }
    if (!u || (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') || !u.hostname) {
      throw new ConfigError('DATABASE_URL must be a PostgreSQL URL like postgres://user:password@db.example.com:5432/disputes');
    }
  }
  const dataDir = env.DATA_DIR?.trim() || './data';
  if (/\0/.test(dataDir)) throw new ConfigError('DATA_DIR must be a directory path');
  if (mode === 'off') return null;
  return { databaseUrl, dataDir, reconcileEveryS, leaseS, reminders, reminderTickS };
}

function redisSettings(env: NodeJS.ProcessEnv): ProcessConfig['redis'] {
  const url = env.REDIS_URL?.trim();
  if (!url) return undefined;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(
      'REDIS_URL must be a URL like redis://127.0.0.1:6379, rediss://…, redis+sentinel://h1:26379,h2:26379/mymaster or redis+cluster://h1:6379,h2:6379',
    );
  }
  if (!['redis:', 'rediss:', 'redis+sentinel:', 'redis+cluster:'].includes(u.protocol))
    throw new ConfigError(`REDIS_URL scheme must be redis, rediss, redis+sentinel or redis+cluster, got ${u.protocol}`);
  const prefix = env.REDIS_KEY_PREFIX?.trim() || 'dg:';
  if (!/^[\w:.-]{1,64}$/.test(prefix)) throw new ConfigError('REDIS_KEY_PREFIX must be 1-64 letters, digits, _ : . or -');
  return { url, prefix, commandTimeoutMs: positiveIntEnv(env, 'REDIS_COMMAND_TIMEOUT_MS', 1_000) };
}

function allowedHosts(raw: string | undefined): string[] | '*' | undefined {
  const list = (raw ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  if (list.length === 0) return undefined;
  if (list.includes('*')) {
    if (list.length > 1) throw new ConfigError('ALLOWED_HOSTS is either * or a list of host names, not both');
    return '*';
  }
  for (const h of list) {
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/.test(h))
      throw new ConfigError(`ALLOWED_HOSTS entries are host names like api.example.com (optionally :port), got "${h}"`);
  }
  return list;
}

function publicUrl(raw: string | undefined): string | undefined {
  const v = raw?.trim();
  if (!v) return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(`PUBLIC_URL must be a URL like https://disputes.example.com, got "${v}"`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new ConfigError(`PUBLIC_URL must be http(s), got "${v}"`);
  return u.origin;
}

function cursorSecrets(raw: string | undefined): string[] | undefined {
  const list = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) return undefined;
  for (const s of list) if (s.length < 32) throw new ConfigError('CURSOR_SECRETS entries must be at least 32 characters (e.g. openssl rand -base64 32)');
  return list;
}

const off = (v: string | undefined) => ['0', 'false', 'off', 'no'].includes(v?.trim().toLowerCase() ?? '');

function corsOrigins(raw: string | undefined): string[] {
  const list = (raw ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const o of list) {
    if (!/^https?:\/\/[^/\s]+$/.test(o)) throw new ConfigError(`CORS_ORIGINS entries are origins like https://app.example.com (no path), got "${o}"`);
  }
  return list;
}

function authMode(raw: string | undefined): 'none' | 'keys' {
  const v = raw?.trim().toLowerCase() || 'keys';
  if (v !== 'none' && v !== 'keys') throw new ConfigError(`GATEWAY_AUTH must be "keys" (the default) or "none", got "${raw}"`);
  return v;
}

function persistedSettings(env: NodeJS.ProcessEnv): { mode: 'allow' | 'only'; file: string } | undefined {
  const mode = (env.PERSISTED_DOCUMENTS ?? 'off').trim().toLowerCase();
  if (mode === 'off' || mode === '') {
    if (env.PERSISTED_DOCUMENTS_FILE?.trim())
      throw new ConfigError('PERSISTED_DOCUMENTS_FILE is set but PERSISTED_DOCUMENTS is off: set PERSISTED_DOCUMENTS=allow or only');
    return undefined;
  }
  if (mode !== 'allow' && mode !== 'only')
    throw new ConfigError(`PERSISTED_DOCUMENTS must be off, allow or only, got ${JSON.stringify(env.PERSISTED_DOCUMENTS)}`);
  const file = env.PERSISTED_DOCUMENTS_FILE?.trim();
  if (!file) throw new ConfigError(`PERSISTED_DOCUMENTS=${mode} needs PERSISTED_DOCUMENTS_FILE, the manifest your frontend build writes`);
  return { mode, file };
}

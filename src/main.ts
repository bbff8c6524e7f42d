// `npm start`: the gateway over the providers configured in the environment, or, with none
// configured (or SANDBOX=1), over the built-in fake providers.
import { processConfig, type IndexSettings } from './config.js';
import { createLogger } from './logger.js';
import { ConfigError } from './providers/env.js';
import { configuredProviders, secretsOf } from './providers/registry.js';
import type { Sandbox } from './sandbox/index.js';
import { EXAMPLE_QUERY, startGateway, type Gateway, type GatewayOptions } from './server.js';
import type { Logger } from './logger.js';
import type { RedisState } from './state/redis.js';
import { installProcessGuards } from './process-guards.js';
import { startTracing, tracingWanted } from './ops/tracing.js';
import { traceTrustFromEnv } from './ops/spans.js';
import { KeyStore } from './auth/keys.js';
import type { AuthConfig } from './auth/keys.js';
import type { IndexStore } from './index/store.js';

type Config = ReturnType<typeof processConfig>;

/** The environment the gateway reads: the process's, or the sandbox's fakes added (loaded only when it runs). */
async function environment(config: Config): Promise<{ env: NodeJS.ProcessEnv; sandbox?: Sandbox }> {
  if (!config.sandbox) return { env: process.env };
  const { startSandbox } = await import('./sandbox/index.js');
  const sandbox = await startSandbox(config.sandboxSeed);
  return { env: { ...process.env, ...sandbox.env }, sandbox };
}

/** Settings that would be unsafe or surprising: refused, or warned about. */
function checkSettings(config: Config, logger: Logger): void {
  if ((config.host === '0.0.0.0' || config.host === '::') && config.allowedHosts === undefined && config.publicUrl === undefined) {
    throw new ConfigError(
      `HOST=${config.host} serves every interface: set ALLOWED_HOSTS to the names clients use (or PUBLIC_URL), or ALLOWED_HOSTS=* to answer any Host`,
    );
  }
  if (!config.sandbox && config.cursorSecrets === undefined) {
    logger.warn('CURSOR_SECRETS is not set: cursors are signed with a secret of this process, so they stop working after a restart and on other replicas');
  }
}

/** With REDIS_URL, every store replicas must share lives on Redis (its client libraries loaded only then); without, in this process. */
async function sharedState(config: Config, logger: Logger): Promise<RedisState | null> {
  if (!config.redis) {
    if (!config.sandbox)
      logger.info('no REDIS_URL: idempotency records, rate limits, webhook dedupe and events live in this process; run one replica, or set REDIS_URL');
    return null;
  }
  const redis = (await import('./state/redis.js')).connectRedis(config.redis, {
    logger,
    retention: config.eventRetention,
    uploadBytesPerHour: config.uploadBytesPerHour,
  });
  // Serve once Redis answers (up to 5 s); if it does not, start anyway: reads work, and the rest once it returns.
  for (let i = 0; i < 50 && !redis.healthy(); i++) await new Promise((r) => setTimeout(r, 100));
  if (!redis.healthy()) logger.warn('redis not reachable at start: closes, evidence and uploads are refused until it is');
  return redis;
}

/**
 * The dispute index's store (INDEX=on, the default): PostgreSQL with DATABASE_URL, else the
 * embedded store in DATA_DIR (the sandbox's in a temporary folder). A DATA_DIR another process
 * holds stops the gateway here, pointing at DATABASE_URL.
 */
async function indexStore(config: Config, logger: Logger): Promise<IndexStore | null> {
  if (!config.index) {
    logger.info('INDEX=off: disputes are listed live from the providers; index-only orders and filters answer INDEX_UNAVAILABLE');
    return null;
  }
  const { openIndexStore } = await import('./index/open.js');
  const store = await openIndexStore(config.index, { sandbox: config.sandbox });
  logger.info('dispute index on', { store: store.kind, ...(store.kind === 'embedded' && !config.sandbox && { dataDir: config.index.dataDir }) });
  return store;
}

/** The index's options from its settings. */
function indexOptions(store: IndexStore, settings: IndexSettings): NonNullable<GatewayOptions['index']> {
  return {
    store,
    reconcileEveryS: settings.reconcileEveryS,
    leaseMs: settings.leaseS * 1000,
    reminders: { windows: settings.reminders, tickMs: settings.reminderTickS * 1000 },
  };
}

/** Traces only when the standard OTel variables ask for them; the SDK is not even loaded otherwise. */
async function tracingOf(logger: Logger): Promise<Awaited<ReturnType<typeof startTracing>> | null> {
  if (!tracingWanted(process.env)) return null;
  const tracing = await startTracing();
  logger.info('tracing on: spans are exported by OTLP', {
    endpoint: process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT,
  });
  return tracing;
}

/** The gateway's options from the configuration. */
function gatewayOptions(
  config: Config,
  parts: Pick<GatewayOptions, 'providers' | 'logger' | 'auth' | 'stats' | 'tracer'> & { redis: RedisState | null; index: IndexStore | null },
): GatewayOptions {
  const { redis, index, ...rest } = parts;
  return {
    ...rest,
    index: index && config.index ? indexOptions(index, config.index) : undefined,
    idempotencyLeaseMs: config.idempotencyLeaseMs,
    port: config.port,
    host: config.host,
    graphiql: config.graphiql,
    introspection: config.introspection,
    corsOrigins: config.corsOrigins,
    allowedHosts: config.allowedHosts,
    publicUrl: config.publicUrl,
    cursorSecrets: config.cursorSecrets,
    limits: { maxUpstreamCalls: config.maxUpstreamCalls },
    maxBodyBytes: config.maxBodyBytes,
    maxUploadBytes: config.maxUploadBytes,
    maxEvidenceBodyBytes: config.maxEvidenceBodyBytes,
    uploadBytesPerHour: config.uploadBytesPerHour,
    eventRetention: config.eventRetention,
    subscriptionsPerKey: config.subscriptionsPerKey,
    wsConnectionsPerKey: config.wsConnectionsPerKey,
    metrics: config.metrics,
    jit: config.jit,
    responseCache: config.responseCacheTtlMs > 0 ? { ttlMs: config.responseCacheTtlMs, cache: redis?.responseCache } : undefined,
    persistedDocuments: config.persistedDocuments,
    compression: config.compression,
    state: redis?.state as GatewayOptions['state'],
    sharedStateHealthy: redis?.healthy,
    traceTrust: traceTrustFromEnv(process.env),
    metricsPort: config.metricsPort,
    webhookMaxBodyBytes: config.webhookMaxBodyBytes,
    webhookRateLimit: config.webhookRateLimit,
  };
}

/** A key removed from (or expired in) the keys file is revoked on SIGHUP; its subscriptions end. */
function reloadKeysOnHangup(config: Config, auth: AuthConfig, gateway: Gateway, logger: Logger): void {
  process.on('SIGHUP', () => {
    try {
      const next = KeyStore.fromEnv(process.env, config.keyRateLimit);
      if (!next || auth.mode !== 'keys') throw new ConfigError('the gateway started without keys: restart it to add them');
      gateway.reloadKeys(next);
      logger.info('API keys reloaded', { keys: next.size });
    } catch (err) {
      logger.error('API keys not reloaded: the old ones stay', { error: err instanceof Error ? err.message : String(err) });
    }
  });
}

/** The sandbox's welcome, for a person: on stderr (stdout carries JSON log lines only). */
function welcome(config: Config, url: string): void {
  process.stderr.write(
    `\nSandbox: fake providers on loopback with seeded data (seed ${config.sandboxSeed}); no credentials needed.\n` +
      `Open ${url} in a browser for GraphiQL, or try:\n\n` +
      `curl -s ${url} -H 'content-type: application/json' \\\n` +
      `  -d '{"query":"{ disputes(first: 3) { nodes { id provider amount currency status reason created } } }"}'\n\n` +
      EXAMPLE_QUERY.replace(/^/gm, '  ') +
      `\nLive events (the fakes send signed webhooks for every change; GraphiQL's sixth tab runs this too):\n\n` +
      `curl -N ${url} -H 'accept: text/event-stream' -H 'content-type: application/json' \\\n` +
      `  -d '{"query":"subscription { disputeEvents { type provider occurredAt dispute { id status } } }"}'\n\n`,
  );
}

/** SIGTERM and SIGINT drain the gateway (readiness first, then in-flight requests), then close the rest and exit 0. */
function stopOnSignals(
  config: Config,
  logger: Logger,
  closers: { gateway: Gateway; sandbox?: Sandbox; tracing: { shutdown(): Promise<void> } | null; redis: RedisState | null },
): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal, graceMs: config.shutdownGraceMs });
    const force = setTimeout(() => process.exit(1), config.readinessDelayMs + config.shutdownGraceMs + 5_000);
    force.unref();
    void Promise.all([closers.gateway.close(config.shutdownGraceMs, config.readinessDelayMs), closers.sandbox?.close()])
      .then(() => Promise.all([closers.tracing?.shutdown(), closers.redis?.close()]))
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error('shutdown failed', { error: err });
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function main(): Promise<void> {
  const config = processConfig(process.env, configuredProviders(process.env).length > 0);
  const { env, sandbox } = await environment(config);
  const providers = configuredProviders(env);
  const keys = KeyStore.fromEnv(process.env, config.keyRateLimit);
  const auth = authConfig(keys, config.sandbox, config.authNone);
  const logger = createLogger({ level: config.logLevel, secrets: [...secretsOf(providers), ...(keys?.plaintext ?? []), ...(config.cursorSecrets ?? [])] });
  checkSettings(config, logger);
  const stats = installProcessGuards(logger);
  const redis = await sharedState(config, logger);
  const tracing = await tracingOf(logger);
  const index = await indexStore(config, logger);
  const gateway = await startGateway(gatewayOptions(config, { providers, logger, auth, stats, tracer: tracing?.tracer, redis, index }));
  if (auth.mode === 'open') {
    logger.warn(
      config.sandbox ? 'sandbox: open, no API keys required (set GATEWAY_API_KEYS_FILE to require them)' : 'GATEWAY_AUTH=none: running without authentication',
    );
  } else {
    logger.info('API keys required', { keys: keys!.size });
  }
  // The fakes send their signed webhooks here, so a subscription in GraphiQL shows changes live.
  sandbox?.connect(new URL(gateway.url).origin, { newDisputeEveryMs: config.sandboxNewDisputeEveryS * 1000 });
  reloadKeysOnHangup(config, auth, gateway, logger);
  if (sandbox) {
    // The fakes are indexed in a second or two: GraphiQL's Inbox tab answers from the index at once.
    await gateway.services.index?.sync.whenLive(30_000).catch((err: unknown) => logger.warn('sandbox: the index is not live yet', { error: err }));
    welcome(config, gateway.url);
  }
  // Last, so whatever waits for this line has seen everything before it.
  logger.info('Dispute Gateway ready', {
    url: gateway.url,
    mode: config.sandbox ? 'sandbox' : 'live',
    providers: [...new Set(providers.map((p) => p.definition.name))],
    ...(providers.some((p) => p.config.account !== 'default') && { accounts: providers.map((p) => `${p.definition.name}:${p.config.account}`) }),
  });
  stopOnSignals(config, logger, { gateway, sandbox, tracing, redis });
}

/**
 * Keys, when configured, are always required. Without keys the sandbox runs open; real providers
 * without keys refuse to start, unless GATEWAY_AUTH=none says so on purpose.
 */
function authConfig(keys: KeyStore | null, sandbox: boolean, authNone: boolean): AuthConfig {
  if (keys && authNone) throw new ConfigError('GATEWAY_AUTH=none contradicts the API keys configured: remove one of them');
  if (keys) return { mode: 'keys', store: keys };
  if (sandbox) return { mode: 'open' };
  if (authNone) return { mode: 'open', warn: true };
  throw new ConfigError(
    'provider credentials are set but no gateway API keys: anyone reaching this gateway could read and close disputes. ' +
      'Set GATEWAY_API_KEYS_FILE (or GATEWAY_API_KEYS) as docs/security.md shows, or GATEWAY_AUTH=none to run open on purpose.',
  );
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`Configuration error: ${err.message}\n`);
  } else {
    process.stderr.write(`Dispute Gateway failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  process.exit(1);
});

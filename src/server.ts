// The gateway's HTTP server: GraphQL (and GraphiQL for browsers) at /graphql, liveness at /healthz.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { ServerResponse } from 'node:http';
import { sendError } from './http/error.js';
import { graphiqlPage } from './http/graphiql.js';
import { newScope, runInScope, type RequestScope } from './http/request-scope.js';
import { CursorKeys } from './gateway/cursor.js';
import type { ProcessStats } from './process-guards.js';
import { createGuard, defaultAllowedHosts, ownOrigins, type AuthConfig, type KeyRateLimiter } from './auth/guard.js';
import { accessPlugin } from './graphql/access.js';
import { createFastPath, viaYoga } from './graphql/fast-path.js';
import { DEFAULT_MERGE_OPTIONS } from './gateway/connection.js';
import { InMemoryIdempotencyStore, type IdempotencyStore } from './gateway/idempotency.js';
import type { CloseResult } from './gateway/close.js';
import type { ResilienceFactory } from './providers/resilience.js';
import type { AttemptObserver } from './providers/http.js';
import type { MergeOptions } from './gateway/merge.js';
import { reportsPlugin } from './graphql/reports-plugin.js';
import { DEFAULT_LIMITS, limitsPlugin, type QueryLimits } from './graphql/limits.js';
import { createContext, type GatewayContext, type GatewayServices, type RequestServerContext } from './graphql/context.js';
import { inputErrorsPlugin, makeMaskError } from './graphql/errors.js';
import { buildSchema } from './graphql/schema.js';
import type { Logger } from './logger.js';
import { createProviderSet, type ConfiguredProvider } from './providers/registry.js';

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

export interface GatewayOptions {
  providers: ConfiguredProvider[];
  logger: Logger;
  port?: number;
  host?: string;
  graphiql?: boolean;
  merge?: Partial<MergeOptions>;
  limits?: Partial<QueryLimits>;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes?: number;
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
  /** Answer plain POSTs on the direct path (default true); false sends everything through yoga. */
  fastPath?: boolean;
}

export type { RequestServerContext };

export interface SharedState {
  idempotency: IdempotencyStore<CloseResult>;
  inflight: GatewayServices['inflight'];
  keyRateLimiter: KeyRateLimiter;
  resilience: ResilienceFactory;
}

export const DEFAULT_MAX_BODY_BYTES = 100 * 1024;
export const DEFAULT_MAX_BATCH = 10;

export interface Gateway {
  url: string;
  server: Server;
  yoga: YogaServerInstance<RequestServerContext, GatewayContext>;
  services: GatewayServices;
  /** Stop accepting, let in-flight requests finish (up to graceMs), then close upstream pools. */
  close(graceMs?: number): Promise<void>;
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const { logger } = opts;
  const limits: QueryLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const providerSet = createProviderSet(opts.providers, logger, opts.state?.resilience, opts.observeUpstream);
  const services: GatewayServices = {
    clients: providerSet.clients,
    idempotency: opts.state?.idempotency ?? new InMemoryIdempotencyStore(),
    inflight: opts.state?.inflight ?? new Map(),
    logger,
    merge: { ...DEFAULT_MERGE_OPTIONS, ...opts.merge },
    cursorKeys: opts.cursorSecrets?.length ? new CursorKeys(opts.cursorSecrets) : CursorKeys.ephemeral(),
  };
  const corsOrigins = opts.corsOrigins ?? [];
  const host = opts.host ?? '127.0.0.1';
  const allowedHosts = opts.allowedHosts ?? defaultAllowedHosts(host, opts.publicUrl);
  // The gateway's own origins depend on its port, known once it listens: filled in below.
  const allowedOrigins: string[] = [...corsOrigins];
  const guard = createGuard({ auth: opts.auth ?? { mode: 'open' }, allowedHosts, allowedOrigins, logger, keyRateLimiter: opts.state?.keyRateLimiter });
  const page = opts.graphiql === false ? null : graphiqlPage({ title: 'Dispute Gateway', defaultQuery: EXAMPLE_QUERY });
  const yoga = createYoga<RequestServerContext, GatewayContext>({
    schema: buildSchema(),
    graphqlEndpoint: '/graphql',
    landingPage: false,
    context: (server) => createContext(services, server),
    maskedErrors: { maskError: makeMaskError(logger) },
    // Access first: a request without the right to run is refused before anything is estimated.
    plugins: [inputErrorsPlugin(), reportsPlugin(), accessPlugin({ introspection: opts.introspection !== false }), limitsPlugin(limits)],
    cors:
      corsOrigins.length > 0
        ? { origin: corsOrigins, methods: ['GET', 'POST'], allowedHeaders: ['authorization', 'content-type', 'accept'], credentials: false, maxAge: 600 }
        : false,
    batching: { limit: opts.maxBatch ?? DEFAULT_MAX_BATCH },
    // The page is served by the HTTP layer (http/graphiql.ts); yoga never renders it.
    graphiql: false,
    logging: {
      debug: (...a: unknown[]) => logger.debug(String(a[0]), a.length > 1 ? { detail: a.slice(1) } : undefined),
      info: (...a: unknown[]) => logger.info(String(a[0]), a.length > 1 ? { detail: a.slice(1) } : undefined),
      warn: (...a: unknown[]) => logger.warn(String(a[0]), a.length > 1 ? { detail: a.slice(1) } : undefined),
      // yoga logs every error the mask replaced, caller mistakes included: the mask logs the
      // unexpected ones itself (error), and each request's errors are counted on its access line.
      error: (...a: unknown[]) => logger.debug(String(a[0]), a.length > 1 ? { detail: a.slice(1) } : undefined),
    },
  });

  const answer = createFastPath(yoga, limits.maxTokens);
  const serverContext = (apiKey: RequestServerContext['apiKey']): RequestServerContext => ({
    apiKey,
    open: guard.open,
    upstreamBudget: { limit: limits.maxUpstreamCalls, remaining: limits.maxUpstreamCalls },
  });

  /**
   * The GraphQL endpoint. Every request passes Host and Origin checks; then the only thing served
   * without a valid key is the GraphiQL page, which carries no data and is rendered here, never by
   * yoga. Everything else — whatever its method, encoding or parameters — needs the key, and the
   * execution layer refuses again any operation that arrives without one (access.ts).
   */
  const graphql = (req: IncomingMessage, res: ServerResponse, scope: RequestScope) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) {
      tooLarge(res, maxBodyBytes);
      req.resume();
      return;
    }
    const misplaced = guard.place(req, res);
    if (misplaced) {
      req.resume();
      return;
    }
    if (req.method === 'GET' && page !== null && (req.headers.accept ?? '').includes('text/html')) {
      page.serve(req, res).catch((err: unknown) => {
        logger.error('GraphiQL page failed', { error: err });
        if (!res.headersSent) sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Unexpected error.');
      });
      return;
    }
    // CORS preflights carry no credentials and run nothing; yoga answers them (with no rights).
    if (req.method === 'OPTIONS') {
      void yoga.handle(req, res, serverContext(null));
      return;
    }
    const door = guard.authorize(req, res);
    if (!door.ok) {
      req.resume();
      return;
    }
    scope.caller = door.key?.name ?? 'anonymous';
    const context = serverContext(door.key);
    if (req.method !== 'POST') {
      viaYoga(yoga, req, res, null, context).catch((err: unknown) => {
        logger.error('request failed', { error: err });
        if (!res.headersSent) sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Unexpected error.');
      });
      return;
    }
    // POST bodies are read here (bounded, chunked ones too), then answered by the fast path or yoga.
    const chunks: Buffer[] = [];
    let seen = 0;
    req.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBodyBytes) {
        if (!res.headersSent) tooLarge(res, maxBodyBytes);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    // Stream events run in the socket's async context: re-enter the request's scope.
    req.on('end', () => runInScope(scope, () => {
      if (res.headersSent) return;
      answer(req, res, Buffer.concat(chunks), context, opts.fastPath !== false).catch((err: unknown) => {
        logger.error('request failed', { error: err });
        if (!res.headersSent) sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Unexpected error.');
      });
    }));
  };

  const server = createServer((req, res) => {
    const started = performance.now();
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ status: 'ok', ...opts.stats }));
      return;
    }
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', requestId);
    const scope = newScope(requestId, 'none');
    // One line per request, whatever it caused: counts, never the query or the caller's values.
    res.once('close', () => {
      logger.info('request', {
        requestId,
        method: req.method,
        path: path!.slice(0, 64),
        status: res.statusCode,
        durationMs: Math.round(performance.now() - started),
        key: scope.caller,
        operations: scope.operations,
        upstreamCalls: scope.upstreamCalls,
        ...(Object.keys(scope.errors).length > 0 && { errors: scope.errors }),
      });
    });
    runInScope(scope, () => {
      if (path === '/graphql' || path === '/graphql/') graphql(req, res, scope);
      else {
        req.resume();
        sendError(res, 404, 'NOT_FOUND', 'Not found: GraphQL is served at /graphql');
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  allowedOrigins.push(...ownOrigins(allowedHosts, port, opts.publicUrl));
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/graphql`;

  return {
    url,
    server,
    yoga,
    services,
    async close(graceMs = 10_000) {
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
      await providerSet.close();
    },
  };
}

function tooLarge(res: ServerResponse, max: number): void {
  sendError(res, 413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${max} bytes.`, { connection: 'close' });
}

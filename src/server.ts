// The gateway's HTTP server: GraphQL (and GraphiQL for browsers) at /graphql, liveness at /healthz.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { ServerResponse } from 'node:http';
import { sendError } from './http-error.js';
import type { ProcessStats } from './process-guards.js';
import { createGuard, type AuthConfig } from './auth/guard.js';
import type { ApiKey } from './auth/keys.js';
import { accessPlugin } from './graphql/access.js';
import { createFastPath } from './graphql/fast-path.js';
import { DEFAULT_MERGE_OPTIONS } from './gateway/connection.js';
import { InMemoryIdempotencyStore } from './gateway/idempotency.js';
import type { MergeOptions } from './gateway/merge.js';
import { reportsPlugin } from './graphql/reports-plugin.js';
import { DEFAULT_LIMITS, limitsPlugin, type QueryLimits } from './graphql/limits.js';
import { createContext, type GatewayContext, type GatewayServices } from './graphql/context.js';
import { makeMaskError } from './graphql/errors.js';
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
  /** Browser origins allowed to call (CORS and CSRF). */
  corsOrigins?: string[];
  /** Answer introspection queries (default true; INTROSPECTION=off in production). */
  introspection?: boolean;
  /** Answer plain POSTs on the direct path (default true); false sends everything through yoga. */
  fastPath?: boolean;
}

/** What the HTTP layer hands to GraphQL for one request. */
export interface RequestServerContext {
  apiKey: ApiKey | null;
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
  const providerSet = createProviderSet(opts.providers, logger);
  const services: GatewayServices = {
    clients: providerSet.clients,
    idempotency: new InMemoryIdempotencyStore(),
    inflight: new Map(),
    logger,
    merge: { ...DEFAULT_MERGE_OPTIONS, ...opts.merge },
  };
  const corsOrigins = opts.corsOrigins ?? [];
  const guard = createGuard({ auth: opts.auth ?? { mode: 'open' }, corsOrigins, logger });
  const yoga = createYoga<RequestServerContext, GatewayContext>({
    schema: buildSchema(),
    graphqlEndpoint: '/graphql',
    landingPage: false,
    context: ({ apiKey }) => createContext(services, apiKey ?? null),
    maskedErrors: { maskError: makeMaskError(logger) },
    plugins: [reportsPlugin(), limitsPlugin(limits), accessPlugin({ introspection: opts.introspection !== false })],
    cors:
      corsOrigins.length > 0
        ? { origin: corsOrigins, methods: ['GET', 'POST'], allowedHeaders: ['authorization', 'content-type', 'accept'], credentials: false, maxAge: 600 }
        : false,
    batching: { limit: opts.maxBatch ?? DEFAULT_MAX_BATCH },
    graphiql: opts.graphiql === false ? false : { title: 'Dispute Gateway', defaultQuery: EXAMPLE_QUERY },
    renderGraphiQL,
    logging: {
      debug: (...a: unknown[]) => logger.debug(String(a[0]), a.length > 1 ? { detail: a.slice(1) } : undefined),
      info: (...a: unknown[]) => logger.info(String(a[0]), a.length > 1 ? { detail: a.slice(1) } : undefined),
      warn: (...a: unknown[]) => logger.warn(String(a[0]), a.length > 1 ? { detail: a.slice(1) } : undefined),
      error: (...a: unknown[]) => logger.error(String(a[0]), a.length > 1 ? { detail: a.slice(1) } : undefined),
    },
  });

  const answer = createFastPath(yoga, limits.maxTokens);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ status: 'ok', ...opts.stats }));
      return;
    }
    if (path === '/graphql' || path === '/graphql/') {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > maxBodyBytes) {
        tooLarge(res, maxBodyBytes);
        req.resume();
        return;
      }
      // The GraphiQL page (a browser's GET for HTML) and CORS preflights carry no data: no key needed.
      const page = req.method === 'GET' && (req.headers.accept ?? '').includes('text/html') && !(req.url ?? '').includes('query=');
      if (req.method === 'OPTIONS' || page) {
        void yoga.handle(req, res, { apiKey: null });
        return;
      }
      const door = guard(req, res);
      if (!door.ok) {
        req.resume();
        return;
      }
      if (req.method !== 'POST') {
        void yoga.handle(req, res, { apiKey: door.key });
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
      req.on('end', () => {
        if (res.headersSent) return;
        answer(req, res, Buffer.concat(chunks), { apiKey: door.key }, opts.fastPath !== false).catch((err: unknown) => {
          logger.error('request failed', { error: err });
          if (!res.headersSent) sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Unexpected error.');
        });
      });
      return;
    }
    sendError(res, 404, 'NOT_FOUND', 'Not found: GraphQL is served at /graphql');
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
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

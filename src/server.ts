// The gateway's HTTP server: GraphQL (and GraphiQL for browsers) at /graphql, liveness at /healthz.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { DEFAULT_MERGE_OPTIONS } from './gateway/connection.js';
import { InMemoryIdempotencyStore } from './gateway/idempotency.js';
import type { MergeOptions } from './gateway/merge.js';
import { reportsPlugin } from './graphql/reports-plugin.js';
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
}

export interface Gateway {
  url: string;
  server: Server;
  yoga: YogaServerInstance<Record<string, never>, GatewayContext>;
  services: GatewayServices;
  close(): Promise<void>;
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const { logger } = opts;
  const providerSet = createProviderSet(opts.providers, logger);
  const services: GatewayServices = {
    clients: providerSet.clients,
    idempotency: new InMemoryIdempotencyStore(),
    inflight: new Map(),
    logger,
    merge: { ...DEFAULT_MERGE_OPTIONS, ...opts.merge },
  };
  const yoga = createYoga<Record<string, never>, GatewayContext>({
    schema: buildSchema(),
    graphqlEndpoint: '/graphql',
    landingPage: false,
    context: () => createContext(services),
    maskedErrors: { maskError: makeMaskError(logger) },
    plugins: [reportsPlugin()],
    graphiql: opts.graphiql === false ? false : { title: 'Dispute Gateway', defaultQuery: EXAMPLE_QUERY },
    renderGraphiQL,
    logging: {
      debug: (...a: unknown[]) => logger.debug(String(a[0]), a.length > 1 ? { detail: a.slice(1) } : undefined),
      info: (...a: unknown[]) => logger.info(String(a[0]), a.length > 1 ? { detail: a.slice(1) } : undefined),
      warn: (...a: unknown[]) => logger.warn(String(a[0]), a.length > 1 ? { detail: a.slice(1) } : undefined),
      error: (...a: unknown[]) => logger.error(String(a[0]), a.length > 1 ? { detail: a.slice(1) } : undefined),
    },
  });

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ status: 'ok' }));
      return;
    }
    if (path === '/graphql' || path === '/graphql/') {
      void yoga.handle(req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ message: 'Not found: GraphQL is served at /graphql', extensions: { code: 'NOT_FOUND' } }] }));
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
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await providerSet.close();
    },
  };
}

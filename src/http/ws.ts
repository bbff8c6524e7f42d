// GraphQL over WebSocket (the graphql-ws protocol) on /graphql, beside HTTP and server-sent events:
// the same yoga, plugins, keys, scopes and limits. The upgrade passes Host and Origin as any
// request does; the key comes with the upgrade (Authorization) or, since browsers cannot set that
// header on a WebSocket, as `authorization` in the connection_init payload. Without a valid key
// (while keys are required) the connection is closed before anything runs. Messages are bounded
// (maxPayload), and so are the operations one connection may run at once.
import { persistedDocumentFor, type PersistedDocuments } from '../graphql/persisted.js';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ExecutionArgs } from 'graphql';
import { GraphQLError } from 'graphql';
import type { YogaServerInstance } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { ApiKey } from '../auth/keys.js';
import type { GuardResult } from '../auth/guard.js';

/** Operations one connection may have running at once. */
export const MAX_OPERATIONS_PER_SOCKET = 20;

export interface WsOptions<S> {
  server: Server;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any context
  yoga: YogaServerInstance<any, any>;
  guard: {
    placement(req: IncomingMessage): { status: number; code: string; message: string } | null;
    check(authorization: string | undefined): Promise<GuardResult>;
  };
  serverContext(key: ApiKey | null): S;
  /** Largest message, in bytes. */
  maxPayload?: number;
  /** Persisted documents: operations name a manifest document by id, as on HTTP (graphql/persisted.ts). */
  persisted?: PersistedDocuments;
}

function refuseUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  socket.end(`HTTP/1.1 ${status} ${code}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

interface SocketState {
  key: ApiKey | null;
  running: number;
}

export function attachGraphqlWs<S extends object>(opts: WsOptions<S>): { close(): Promise<void> } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload ?? 100 * 1024 });
  const states = new WeakMap<object, SocketState>();

  opts.server.on('upgrade', async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/graphql' && path !== '/graphql/') return refuseUpgrade(socket, 404, 'NOT_FOUND', 'GraphQL over WebSocket is served at /graphql.');
    const refusal = opts.guard.placement(req);
    if (refusal) return refuseUpgrade(socket, refusal.status, refusal.code, refusal.message);
    // A key on the upgrade is checked now; without one, connection_init must bring it.
    if (req.headers.authorization !== undefined) {
      const door = await opts.guard.check(req.headers.authorization).catch(() => ({ ok: false as const, status: 503, code: 'SERVICE_UNAVAILABLE' }));
      if (!door.ok) return refuseUpgrade(socket, door.status, door.code, door.code === 'RATE_LIMITED' ? 'The key is over its rate.' : 'The API key is not valid.');
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const disposable = useServer<Record<string, unknown> | undefined>(
    {
      execute: (args) => (args.rootValue as { execute(a: ExecutionArgs): unknown }).execute(args) as never,
      subscribe: (args) => (args.rootValue as { subscribe(a: ExecutionArgs): unknown }).subscribe(args) as never,
      onConnect: async (ctx) => {
        const fromInit = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        const authorization = ctx.extra.request.headers.authorization ?? (typeof fromInit === 'string' ? fromInit : undefined);
        const door = await opts.guard.check(authorization);
        if (!door.ok) return false; // closed with 4403 Forbidden
        states.set(ctx.extra.socket, { key: door.key, running: 0 });
        return true;
      },
      onSubscribe: async (ctx, _id, params) => {
        const state = states.get(ctx.extra.socket);
        if (!state) return [new GraphQLError('Not connected.', { extensions: { code: 'UNAUTHENTICATED' } })];
        if (state.running >= MAX_OPERATIONS_PER_SOCKET) {
          return [new GraphQLError(`At most ${MAX_OPERATIONS_PER_SOCKET} operations run at once on one connection.`, { extensions: { code: 'TOO_MANY_OPERATIONS' } })];
        }
        const { schema, execute, subscribe, contextFactory, parse, validate } = opts.yoga.getEnveloped({
          ...opts.serverContext(state.key),
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        const query = opts.persisted ? persistedDocumentFor(opts.persisted, params) : params.query;
        if (query instanceof GraphQLError) return [query];
        let document;
        try {
          document = parse(query);
        } catch (err) {
          return [err instanceof GraphQLError ? err : new GraphQLError('The document does not parse.', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        state.running += 1;
        return {
          schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
      },
      onComplete: (ctx) => {
        const state = states.get(ctx.extra.socket);
        if (state && state.running > 0) state.running -= 1;
      },
    },
    wss,
  );
  return {
    async close() {
      await disposable.dispose();
    },
  };
}

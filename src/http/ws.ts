// GraphQL over WebSocket (the graphql-ws protocol) on /graphql, beside HTTP and server-sent events:
// the same yoga, plugins, keys, scopes and limits. The upgrade passes Host and Origin as any
// request does; the key comes with the upgrade (Authorization) or, since browsers cannot set that
// header on a WebSocket, as `authorization` in the connection_init payload.
//
// A socket lives long, so what HTTP decides once per request is decided here once per operation:
//   - the key is looked up again when each operation starts: a key removed or expired by then is
//     refused and its socket closed (4403), and a key whose rights a reload narrowed runs with the
//     narrowed rights. Every open socket is also checked twice a second, so a revoked key's socket
//     closes within a second even when it sends nothing;
//   - each operation takes a token of the key's rate, as an HTTP request does (over the rate: an
//     `error` message with RATE_LIMITED and retryAfterMs; the socket stays open). Connecting costs
//     one token, whether the key came on the upgrade or in connection_init;
//   - each operation writes one access line (method WS), with its upstream calls;
//   - sockets per caller (a key, or on an open gateway a client address) are bounded, and so are
//     the operations one socket may run at once, and its messages (maxPayload).
// graphql-ws's server core (makeServer) is wired to the ws package here rather than through its
// `useServer`, which prints to the console: what goes wrong on a socket reaches the JSON logger.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ExecutionArgs } from 'graphql';
import { getOperationAST, GraphQLError } from 'graphql';
import type { YogaServerInstance } from 'graphql-yoga';
import { CloseCode, handleProtocols, makeServer, type Context, type SubscribePayload } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { persistedDocumentFor, type PersistedDocuments } from '../graphql/persisted.js';
import { bypassResponseCache } from '../graphql/response-cache.js';
import type { ApiKey } from '../auth/keys.js';
import type { GuardResult } from './guard.js';
import type { Logger } from '../logger.js';
import { newScope, noteOperation, runInScope, type RequestScope } from '../context/request-scope.js';

/** Operations one connection may have running at once. */
export const MAX_OPERATIONS_PER_SOCKET = 20;
/** Sockets one key (or, on an open gateway, one client address) may hold open here (WS_CONNECTIONS_PER_KEY). */
export const DEFAULT_CONNECTIONS_PER_KEY = 20;
/** How often open sockets' keys are checked, so a revoked or expired key's socket closes within a second. */
const RECHECK_EVERY_MS = 500;
/** Close codes beyond graphql-ws's own: too many sockets for one caller. */
const TOO_MANY_CONNECTIONS = 4429;
const KEEPALIVE_MS = 12_000;

export interface WsOptions<S> {
  server: Server;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any context
  yoga: YogaServerInstance<any, any>;
  guard: {
    placement(req: IncomingMessage): { status: number; code: string; message: string } | null;
    check(authorization: string | undefined): Promise<GuardResult>;
    take(key: ApiKey | null): number | Promise<number>;
    current(key: ApiKey): ApiKey | null;
    open: boolean;
  };
  serverContext(key: ApiKey | null, req?: IncomingMessage): S;
  logger: Logger;
  /** Largest message, in bytes. */
  maxPayload?: number;
  /** Sockets one caller may hold open at once (default 20). */
  connectionsPerKey?: number;
  /** Persisted documents: operations name a manifest document by id, as on HTTP (graphql/persisted.ts). */
  persisted?: PersistedDocuments;
}

function refuseUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  socket.end(`HTTP/1.1 ${status} ${code}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

interface Operation {
  scope: RequestScope;
  started: number;
  name: string;
}

interface SocketState {
  /** The key as it was when the last operation started (null on an open gateway). */
  key: ApiKey | null;
  /** Who the socket counts against: the key's name, or the client address on an open gateway. */
  caller: string;
  running: number;
  operations: Map<string, Operation>;
}

type WsContext = Context<Record<string, unknown> | undefined, { socket: WebSocket; request: IncomingMessage }>;

/** The key a connection was let in with: on the upgrade (already checked and counted), or from connection_init. */
const upgradeDoors = new WeakMap<IncomingMessage, GuardResult>();

const gqlError = (message: string, code: string, extra: Record<string, unknown> = {}) => new GraphQLError(message, { extensions: { code, ...extra } });

/** What the parts of the WebSocket server share. */
interface WsShared<S extends object> {
  opts: WsOptions<S>;
  logger: Logger;
  guard: WsOptions<S>['guard'];
  states: Map<WebSocket, SocketState>;
  /** Sockets closed, kept until their operations have ended (graphql-ws ends them after the close), for their access lines. */
  closing: WeakMap<WebSocket, SocketState>;
  perCaller: Map<string, number>;
  connectionsPerKey: number;
  callerOf(key: ApiKey | null, req: IncomingMessage): string;
  full(caller: string): boolean;
}

/** The access line of one operation, as HTTP requests write theirs. */
function logOperation(logger: Logger, op: Operation, caller: string, errors?: readonly GraphQLError[]): void {
  for (const e of errors ?? []) {
    const code = String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
    op.scope.errors[code] = (op.scope.errors[code] ?? 0) + 1;
  }
  logger.info('request', {
    requestId: op.scope.requestId,
    method: 'WS',
    path: '/graphql',
    durationMs: Math.round(performance.now() - op.started),
    key: caller,
    operations: op.scope.operations.length > 0 ? op.scope.operations : [op.name],
    upstreamCalls: op.scope.upstreamCalls,
    ...(Object.keys(op.scope.errors).length > 0 && { errors: op.scope.errors }),
  });
}

/** Refused before it ran: answered with `error` and logged, the socket kept. */
function refuse(logger: Logger, state: SocketState, name: string, error: GraphQLError): GraphQLError[] {
  logOperation(logger, { scope: newScope(randomUUID(), state.caller), started: performance.now(), name }, state.caller, [error]);
  return [error];
}

const closeRevoked = (socket: WebSocket) => socket.close(CloseCode.Forbidden, 'Forbidden');

/** The upgrade: the path, the Host rule, and a key brought on it (checked, and its token taken, now). */
function upgradeHandler<S extends object>(sh: WsShared<S>, wss: WebSocketServer) {
  const { logger, guard, connectionsPerKey, callerOf, full } = sh;
  return async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/graphql' && path !== '/graphql/') return refuseUpgrade(socket, 404, 'NOT_FOUND', 'GraphQL over WebSocket is served at /graphql.');
      const refusal = guard.placement(req);
      if (refusal) return refuseUpgrade(socket, refusal.status, refusal.code, refusal.message);
      // A key on the upgrade is checked (and takes its token) now; without one, connection_init must bring it.
      if (req.headers.authorization !== undefined || guard.open) {
        const door = await guard.check(req.headers.authorization).catch((): GuardResult => ({ ok: false, status: 503, code: 'SERVICE_UNAVAILABLE' }));
        if (!door.ok)
          return refuseUpgrade(socket, door.status, door.code, door.code === 'RATE_LIMITED' ? 'The key is over its rate.' : 'The API key is not valid.');
        if (full(callerOf(door.key, req)))
          return refuseUpgrade(socket, 429, 'TOO_MANY_CONNECTIONS', `At most ${connectionsPerKey} WebSocket connections per key (WS_CONNECTIONS_PER_KEY).`);
        upgradeDoors.set(req, door);
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    } catch (err) {
      logger.warn('websocket: upgrade failed', { error: (err as Error).message });
      socket.destroy();
    }
  };
}

/** connection_init: the key from the upgrade or from the init's `authorization`, and the per-key connection bound. */
function connectHandler<S extends object>(sh: WsShared<S>) {
  const { logger, guard, states, perCaller, callerOf, full } = sh;
  return async (ctx: WsContext): Promise<boolean> => {
    try {
      const { request, socket } = ctx.extra;
      let door = upgradeDoors.get(request);
      if (!door) {
        const fromInit = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        door = await guard.check(typeof fromInit === 'string' ? fromInit : undefined);
      }
      if (!door.ok) return false; // closed with 4403 Forbidden
      const caller = callerOf(door.key, request);
      if (full(caller)) {
        socket.close(TOO_MANY_CONNECTIONS, 'Too many connections for this key');
        return false;
      }
      if (socket.readyState !== socket.OPEN) return false;
      perCaller.set(caller, (perCaller.get(caller) ?? 0) + 1);
      states.set(socket, { key: door.key, caller, running: 0, operations: new Map() });
      return true;
    } catch (err) {
      logger.warn('websocket: connection_init failed', { error: (err as Error).message });
      return false;
    }
  };
}

/**
 * The key as it is now, before an operation: revoked or expired ends the socket; narrowed rights
 * apply from here on; over its rate, the operation is refused. Null: it may run.
 */
async function keyRefusal<S extends object>(sh: WsShared<S>, socket: WebSocket, state: SocketState): Promise<GraphQLError | null> {
  if (!state.key) return null;
  const now = sh.guard.current(state.key);
  if (!now) {
    closeRevoked(socket);
    return gqlError('The API key of this connection was revoked or has expired.', 'UNAUTHENTICATED');
  }
  state.key = now;
  const waitMs = await sh.guard.take(now);
  if (waitMs <= 0) return null;
  return gqlError(`The key "${now.name}" is over its rate of ${now.rateLimit.perSecond} requests a second.`, 'RATE_LIMITED', {
    retryAfterMs: Math.ceil(waitMs),
  });
}

/** The graphql-ws protocol server: connecting by key, each operation authorised, rated, scoped and logged. */
function protocolServer<S extends object>(sh: WsShared<S>) {
  const { logger, states } = sh;
  return makeServer<Record<string, unknown> | undefined, { socket: WebSocket; request: IncomingMessage }>({
    // The operation runs inside its own request scope: upstream calls and errors are counted for its line.
    execute: (args) => {
      const root = args.rootValue as Root;
      return runInScope(root.scope, () => root.execute(args)) as never;
    },
    subscribe: (args) => {
      const root = args.rootValue as Root;
      return runInScope(root.scope, async () => {
        const result = await root.subscribe(args);
        return isAsyncIterator(result) ? scoped(result, root.scope) : result;
      }) as never;
    },
    onConnect: connectHandler(sh),
    onSubscribe: async (ctx, id, params) => {
      const socket = ctx.extra.socket;
      const state = states.get(socket);
      if (!state) return [gqlError('Not connected.', 'UNAUTHENTICATED')];
      const name = (typeof params.operationName === 'string' && params.operationName) || 'anonymous';
      try {
        const refusal = await keyRefusal(sh, socket, state);
        if (refusal) return refuse(logger, state, name, refusal);
        if (state.running >= MAX_OPERATIONS_PER_SOCKET) {
          return refuse(logger, state, name, gqlError(`At most ${MAX_OPERATIONS_PER_SOCKET} operations run at once on one connection.`, 'TOO_MANY_OPERATIONS'));
        }
        // The slot is taken before anything is awaited (messages are handled concurrently) and
        // given back by every way out below that does not start the operation.
        state.running += 1;
        const op: Operation = { scope: newScope(randomUUID(), state.caller), started: performance.now(), name };
        const started = await startOperation(sh, state, op, id, ctx, params);
        if (!started.ok) state.running -= 1;
        return started.result;
      } catch (err) {
        logger.warn('websocket: an operation could not start', { error: (err as Error).message });
        return refuse(logger, state, name, gqlError('The operation could not start.', 'INTERNAL_SERVER_ERROR'));
      }
    },
    onError: (ctx, id, _payload, errors) => finish(sh, ctx.extra.socket, id, errors),
    onComplete: (ctx, id) => finish(sh, ctx.extra.socket, id),
  });
}

/** Parses, validates and prepares one operation; `ok` when it will run. */
async function startOperation<S extends object>(
  sh: WsShared<S>,
  state: SocketState,
  op: Operation,
  id: string,
  ctx: WsContext,
  params: SubscribePayload,
): Promise<{ ok: boolean; result: ExecutionArgs | readonly GraphQLError[] }> {
  const { opts, logger } = sh;
  const socket = ctx.extra.socket;
  const name = op.name;
  try {
    const { schema, execute, subscribe, contextFactory, parse, validate } = opts.yoga.getEnveloped({
      ...opts.serverContext(state.key, ctx.extra.request),
      req: ctx.extra.request,
      socket,
      params,
    });
    const query = opts.persisted ? persistedDocumentFor(opts.persisted, params) : params.query;
    if (query instanceof GraphQLError) return { ok: false, result: refuse(logger, state, name, query) };
    let document;
    try {
      document = parse(query);
    } catch (err) {
      return {
        ok: false,
        result: refuse(logger, state, name, err instanceof GraphQLError ? err : gqlError('The document does not parse.', 'GRAPHQL_PARSE_FAILED')),
      };
    }
    const errors = validate(schema, document);
    if (errors.length > 0) {
      logOperation(logger, op, state.caller, errors);
      return { ok: false, result: errors };
    }
    runInScope(op.scope, () => noteOperation(params.operationName));
    const contextValue = await runInScope(op.scope, () => contextFactory());
    if (getOperationAST(document, params.operationName)?.operation === 'query') bypassResponseCache(contextValue);
    state.operations.set(id, op);
    const root: Root = { execute, subscribe, scope: op.scope };
    return { ok: true, result: { schema, operationName: params.operationName, document, variableValues: params.variables, contextValue, rootValue: root } };
  } catch (err) {
    logger.warn('websocket: an operation could not start', { error: (err as Error).message });
    return { ok: false, result: refuse(logger, state, name, gqlError('The operation could not start.', 'INTERNAL_SERVER_ERROR')) };
  }
}

/** An operation ended (completed, failed, or its socket closed): its slot is free and its access line written, once. */
function finish<S extends object>(sh: WsShared<S>, socket: WebSocket, id: string, errors?: readonly GraphQLError[]): void {
  const { states, closing, logger } = sh;
  const state = states.get(socket) ?? closing.get(socket);
  const op = state?.operations.get(id);
  if (!state || !op) return;
  state.operations.delete(id);
  state.running = Math.max(0, state.running - 1);
  logOperation(logger, op, state.caller, errors);
}

/** A connection: kept alive by pings, spoken to by graphql-ws, and let go of (its slot, its state) when it closes. */
function connectionHandler<S extends object>(sh: WsShared<S>, server: ReturnType<typeof protocolServer<S>>) {
  const { logger, states, closing, perCaller } = sh;
  return (socket: WebSocket, request: IncomingMessage) => {
    socket.once('error', (err) => {
      logger.warn('websocket: socket error', { error: err.message });
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    });
    let pongWait: NodeJS.Timeout | null = null;
    const ping = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), KEEPALIVE_MS);
      socket.once('pong', () => {
        if (pongWait) clearTimeout(pongWait);
        pongWait = null;
      });
      socket.ping();
    }, KEEPALIVE_MS);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (err) => (err ? reject(err) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) =>
          socket.on('message', async (data) => {
            try {
              await cb(String(data));
            } catch (err) {
              logger.warn('websocket: a message could not be handled', { error: (err as Error).message });
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            }
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      if (pongWait) clearTimeout(pongWait);
      clearInterval(ping);
      const state = states.get(socket);
      if (state) {
        states.delete(socket);
        closing.set(socket, state);
        const n = (perCaller.get(state.caller) ?? 1) - 1;
        if (n > 0) perCaller.set(state.caller, n);
        else perCaller.delete(state.caller);
      }
      void Promise.resolve(closed(code, String(reason))).catch((err: unknown) => logger.warn('websocket: closing failed', { error: (err as Error).message }));
    });
  };
}

export function attachGraphqlWs<S extends object>(opts: WsOptions<S>): { close(): Promise<void>; recheck(): void } {
  const { logger, guard } = opts;
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload ?? 100 * 1024, handleProtocols });
  const perCaller = new Map<string, number>();
  const connectionsPerKey = opts.connectionsPerKey ?? DEFAULT_CONNECTIONS_PER_KEY;
  const sh: WsShared<S> = {
    opts,
    logger,
    guard,
    states: new Map(),
    closing: new WeakMap(),
    perCaller,
    connectionsPerKey,
    callerOf: (key, req) => key?.name ?? `anonymous@${req.socket.remoteAddress ?? 'unknown'}`,
    full: (caller) => (perCaller.get(caller) ?? 0) >= connectionsPerKey,
  };
  const { states } = sh;
  opts.server.on('upgrade', upgradeHandler(sh, wss));
  const server = protocolServer(sh);
  wss.on('error', (err) => logger.warn('websocket: server error', { error: err.message }));
  wss.on('connection', connectionHandler(sh, server));

  /** Closes the sockets whose keys were revoked or have expired. */
  const recheck = () => {
    for (const [socket, state] of states) if (state.key && guard.current(state.key) === null) closeRevoked(socket);
  };
  const timer = guard.open ? undefined : setInterval(recheck, RECHECK_EVERY_MS);
  timer?.unref();

  return {
    recheck,
    async close() {
      clearInterval(timer);
      for (const socket of wss.clients) socket.close(1001, 'Going away');
      await new Promise<void>((resolve, reject) => wss.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

interface Root {
  execute(a: ExecutionArgs): unknown;
  subscribe(a: ExecutionArgs): unknown;
  scope: RequestScope;
}

const isAsyncIterator = (v: unknown): v is AsyncIterableIterator<unknown> => typeof (v as AsyncIterator<unknown> | null)?.next === 'function';

/** A subscription's stream, each step run inside the operation's scope (its event reads are counted there). */
function scoped<T>(it: AsyncIterableIterator<T>, scope: RequestScope): AsyncIterableIterator<T> {
  return {
    next: () => runInScope(scope, () => it.next()),
    return: (v?: unknown) => (it.return ? it.return(v as T) : Promise.resolve({ value: undefined as T, done: true })),
    throw: (e?: unknown) => (it.throw ? it.throw(e) : Promise.reject(e)),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

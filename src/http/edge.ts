// The gateway's HTTP edge: every request passes through here, in this order, in one place.
//   1. Probes: /healthz (liveness) and /readyz (readiness: 503 while draining), and /metrics
//      (Prometheus; unless it has a port of its own). No log line, not counted.
//   2. A request id (x-request-id, taken from the caller when well-formed) and one access log line.
//   3. /graphql only (anything else is a 404 with a code).
//   4. Host and Origin (http/guard.ts: DNS rebinding, CSRF).
//   5. The GraphiQL page for a browser's GET: the only thing served without a key; no data.
//   6. CORS preflights go to yoga (which answers them from its CORS settings, running nothing).
//   7. The key and its rate (http/guard.ts).
//   8. The body, bounded by its content type and caller before it is read: JSON, GraphQL and form
//      bodies are small and read whole (maxBodyBytes; maxEvidenceBodyBytes for a caller who may
//      submit evidence, whose text may reach 150,000 characters); multipart/form-data (file uploads)
//      may be as large as maxUploadBytes and is streamed to yoga, counted as it passes, never held
//      whole here.
//   9. Yoga (http/yoga-adapter.ts), which runs every plugin.
// Beside /graphql, /webhooks/… takes providers' signed events (http/webhooks.ts): after step 2, with
// its own limits, and no API key (the signature is the authentication).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import type { ApiKey } from '../auth/keys.js';
import type { GuardResult } from './guard.js';
import type { Logger } from '../logger.js';
import { sendError } from './error.js';
import type { GraphiqlPage } from './graphiql.js';
import { newScope, runInScope, type RequestScope } from '../context/request-scope.js';
import type { YogaAnswer } from './yoga-adapter.js';
import { context, type Tracer } from '@opentelemetry/api';
import { serverSpan, type TraceTrust } from '../ops/spans.js';

export const DEFAULT_MAX_BODY_BYTES = 100 * 1024;
/** The largest legitimate evidence: 150,000 characters of text (up to 4 bytes each in UTF-8) and the rest of the operation. */
export const DEFAULT_MAX_EVIDENCE_BODY_BYTES = 720 * 1024;
export const DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
/** Beyond a limit, how much more of a body is read and dropped so the 413 arrives cleanly. */
const DISCARD_BYTES = 1024 * 1024;

export interface EdgeGuard {
  place(req: IncomingMessage, res: ServerResponse): GuardResult | null;
  authorize(req: IncomingMessage, res: ServerResponse): GuardResult | Promise<GuardResult>;
  /** Host only (no Origin rule): the paths providers and scrapers call, not browsers. */
  placeHost(req: IncomingMessage, res: ServerResponse): GuardResult | null;
  /** Whether the gateway runs without keys. */
  open: boolean;
  /** Whether the request presents a valid key (no rate token taken): for trusting its trace context. */
  presentsKey(req: IncomingMessage): boolean;
}

export interface EdgeOptions<S> {
  logger: Logger;
  guard: EdgeGuard;
  /** The GraphiQL page, or null when it is off. */
  page: GraphiqlPage | null;
  /** Largest JSON, GraphQL or form body, in bytes. */
  maxBodyBytes: number;
  /** The same for a caller who may submit evidence (large text), in bytes. */
  maxEvidenceBodyBytes: number;
  /** Whether this caller may send evidence-sized bodies (evidence:write, or an open gateway). */
  sendsEvidence(key: ApiKey | null): boolean;
  /** Largest multipart/form-data body (files and operations together), in bytes. */
  maxUploadBytes: number;
  answer: YogaAnswer<S>;
  /** The server context of a request by this caller (null: none, a preflight or an open gateway). */
  serverContext(key: ApiKey | null, req?: IncomingMessage): S;
  /** Extra fields for /healthz. */
  stats?: object;
  /** False once the gateway is draining: /readyz answers 503. */
  ready(): boolean;
  /** What /readyz reports beside its status (the shared state's reachability). */
  readiness?(): Record<string, unknown>;
  /** GET /metrics (Prometheus), unless off or served on its own port. */
  metrics?: { render(): Promise<{ contentType: string; body: string }> } | null;
  /** A SERVER span per request when tracing is on (absent: off). */
  tracer?: Tracer;
  /** Whose incoming `traceparent` is continued (OTEL_TRUST_INCOMING_TRACE; default: callers with a valid key). */
  traceTrust?: TraceTrust;
  /** Providers' webhooks (POST /webhooks/…); absent: 404. */
  webhooks?: (req: IncomingMessage, res: ServerResponse, path: string) => void;
}

/** Headers that make a request non-simple, so a browser preflights it (yoga's, then Apollo's). */
export const PREFLIGHT_HEADERS = ['x-graphql-yoga-csrf', 'apollo-require-preflight', 'graphql-preflight'];

const isMultipart = (req: IncomingMessage) => /^multipart\/form-data\s*(;|$)/i.test(req.headers['content-type'] ?? '');

function tooLarge(res: ServerResponse, max: number): void {
  if (!res.headersSent) sendError(res, 413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${max} bytes.`, { connection: 'close' });
}

/**
 * After a 413, the rest of the body is read and dropped (so the client, still sending, sees the
 * answer rather than a reset connection), up to `extra` more bytes; past that the connection goes.
 */
function discardRest(req: IncomingMessage, extra: number): void {
  let dropped = 0;
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > extra) req.destroy();
  });
  req.resume();
}

/**
 * Reads a body whole, up to `limit` bytes: past it, `over` runs once (and the body read so far is
 * dropped); otherwise `done` gets the bytes when the body ends.
 */
export function readBounded(req: IncomingMessage, limit: number, over: () => void, done: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let seen = 0;
  let exceeded = false;
  req.on('data', (chunk: Buffer) => {
    if (exceeded) return;
    seen += chunk.length;
    if (seen > limit) {
      exceeded = true;
      chunks.length = 0;
      over();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (!exceeded) done(Buffer.concat(chunks));
  });
}

/** Passes a body through, counting; past `max` bytes it answers 413 and stops the request. */
class Bound extends Transform {
  private seen = 0;
  constructor(
    private readonly max: number,
    private readonly onOver: () => void,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.max) {
      this.onOver();
      done(new Error('request body over its limit'));
      return;
    }
    done(null, chunk);
  }
}

/** The metrics exposition; like the probes, no access line and not counted. */
export async function serveMetrics(metrics: NonNullable<EdgeOptions<unknown>['metrics']>, res: ServerResponse): Promise<void> {
  const { contentType, body } = await metrics.render();
  res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

/** The HTTP edge: every request in one place and order (see the top of this file). */
class Edge<S> {
  constructor(private readonly opts: EdgeOptions<S>) {}

  private failed(res: ServerResponse) {
    return (err: unknown) => {
      this.opts.logger.error('request failed', { error: err });
      if (!res.headersSent) sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Unexpected error.');
      else res.destroy();
    };
  }

  /** Reads a small body whole (bounded), then answers. */
  private readWhole(req: IncomingMessage, res: ServerResponse, scope: RequestScope, context: S, limit: number): void {
    readBounded(
      req,
      limit,
      () => {
        tooLarge(res, limit);
        discardRest(req, limit + DISCARD_BYTES);
      },
      // Stream events run in the socket's async context: re-enter the request's scope.
      (body) =>
        runInScope(scope, () => {
          if (res.headersSent) return;
          this.opts.answer(req, res, body.toString('utf8'), context).catch(this.failed(res));
        }),
    );
  }

  /** Streams a multipart body to yoga, bounded as it passes. */
  private stream(req: IncomingMessage, res: ServerResponse, context: S): void {
    const bound = new Bound(this.opts.maxUploadBytes, () => {
      tooLarge(res, this.opts.maxUploadBytes);
      req.unpipe(bound);
      discardRest(req, this.opts.maxUploadBytes + DISCARD_BYTES);
    });
    req.pipe(bound);
    this.opts.answer(req, res, bound, context).catch((err: unknown) => {
      // Over the limit, the answer was the 413; yoga's view of the broken stream is no news.
      if (res.headersSent && res.statusCode === 413) return;
      this.failed(res)(err);
    });
  }

  private graphql(req: IncomingMessage, res: ServerResponse, scope: RequestScope): void {
    const multipart = req.method === 'POST' && isMultipart(req);
    // Before anything else, the largest body any caller may send; the caller's own limit once known.
    const declared = Number(req.headers['content-length'] ?? 0);
    const ceiling = multipart ? this.opts.maxUploadBytes : Math.max(this.opts.maxBodyBytes, this.opts.maxEvidenceBodyBytes);
    if (declared > ceiling) {
      tooLarge(res, ceiling);
      req.resume();
      return;
    }
    if (this.opts.guard.place(req, res)) {
      req.resume();
      return;
    }
    if (req.method === 'GET' && this.opts.page !== null && (req.headers.accept ?? '').includes('text/html')) {
      this.opts.page.serve(req, res).catch(this.failed(res));
      return;
    }
    // CORS preflights carry no credentials and run nothing; yoga answers them (with no rights).
    if (req.method === 'OPTIONS') {
      req.resume();
      this.opts.answer(req, res, null, this.opts.serverContext(null)).catch(this.failed(res));
      return;
    }
    // A browser form can post multipart across sites without a preflight: a multipart request must
    // carry a header no simple request can (yoga's CSRF header, or Apollo's), so it cannot be forged.
    if (multipart && !PREFLIGHT_HEADERS.some((h) => req.headers[h] !== undefined)) {
      req.resume();
      sendError(res, 400, 'CSRF_PREFLIGHT_REQUIRED', `A multipart request must carry the ${PREFLIGHT_HEADERS[0]} header (any value).`);
      return;
    }
    // A shared limiter answers later: the body waits in the socket meanwhile (no reader yet).
    const door = this.opts.guard.authorize(req, res);
    if (door instanceof Promise) door.then((d) => runInScope(scope, () => this.admitted(req, res, scope, d, multipart, declared)), this.failed(res));
    else this.admitted(req, res, scope, door, multipart, declared);
  }

  /** The rest of a GraphQL request once the guard has decided: the caller's body limit, then yoga. */
  private admitted(req: IncomingMessage, res: ServerResponse, scope: RequestScope, door: GuardResult, multipart: boolean, declared: number): void {
    if (!door.ok) {
      req.resume();
      return;
    }
    scope.caller = door.key?.name ?? 'anonymous';
    const limit = multipart ? this.opts.maxUploadBytes : this.opts.sendsEvidence(door.key) ? this.opts.maxEvidenceBodyBytes : this.opts.maxBodyBytes;
    if (declared > limit) {
      tooLarge(res, limit);
      req.resume();
      return;
    }
    const context = this.opts.serverContext(door.key, req);
    if (req.method === 'GET' || req.method === 'HEAD') {
      req.resume();
      this.opts.answer(req, res, null, context).catch(this.failed(res));
    } else if (multipart) this.stream(req, res, context);
    else this.readWhole(req, res, scope, context, limit);
  }

  /**
   * /metrics on the main port names accounts and counts: the Host rule (against DNS rebinding) and,
   * while keys are configured, a key with metrics:read (else METRICS_PORT serves it apart).
   */
  private metricsRoute(req: IncomingMessage, res: ServerResponse, metrics: NonNullable<EdgeOptions<S>['metrics']>): void {
    req.resume();
    if (this.opts.guard.placeHost(req, res)) return;
    const serve = (door: GuardResult) => {
      if (!door.ok) return;
      if (!this.opts.guard.open && !door.key?.scopes.has('metrics:read')) {
        sendError(res, 403, 'FORBIDDEN', 'Reading /metrics takes a key with the metrics:read scope (or serve it apart with METRICS_PORT).');
        return;
      }
      serveMetrics(metrics, res).catch(this.failed(res));
    };
    const door = this.opts.guard.authorize(req, res);
    if (door instanceof Promise) door.then(serve, this.failed(res));
    else serve(door);
  }

  /** Liveness and readiness: any Host, no key, no scope. */
  private probe(req: IncomingMessage, res: ServerResponse, path: string): void {
    req.resume();
    const ready = path === '/healthz' || this.opts.ready();
    res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(path === '/healthz' ? { status: 'ok', ...this.opts.stats } : { status: ready ? 'ready' : 'draining', ...this.opts.readiness?.() }));
  }

  /** The request's scope: its id, its span (where traced), and its one access line when it ends. */
  private scopeOf(req: IncomingMessage, res: ServerResponse, path: string, started: number): RequestScope {
    const { opts } = this;
    const { guard, logger } = opts;
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', requestId);
    const scope = newScope(requestId, 'none');
    if (opts.tracer) {
      const trust = opts.traceTrust ?? 'keyed';
      const trusted = trust === 'always' || (trust === 'keyed' && !guard.open && guard.presentsKey(req));
      const traced = serverSpan(opts.tracer, req, res, path.startsWith('/webhooks/') ? '/webhooks/{provider}' : path.slice(0, 64), trusted);
      scope.wrap = (fn) => context.with(traced, fn);
    }
    // One line per request, whatever it caused: counts, never the query or the caller's values.
    res.once('close', () => {
      logger.info('request', {
        requestId,
        method: req.method,
        path: path.slice(0, 64),
        status: res.statusCode,
        durationMs: Math.round(performance.now() - started),
        key: scope.caller,
        operations: scope.operations,
        upstreamCalls: scope.upstreamCalls,
        ...(Object.keys(scope.errors).length > 0 && { errors: scope.errors }),
      });
    });
    return scope;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/metrics' && this.opts.metrics) return this.metricsRoute(req, res, this.opts.metrics);
    if (path === '/healthz' || path === '/readyz') return this.probe(req, res, path);
    const scope = this.scopeOf(req, res, path, started);
    runInScope(scope, () => {
      if (path === '/graphql' || path === '/graphql/') this.graphql(req, res, scope);
      else if (this.opts.webhooks && path.startsWith('/webhooks/')) {
        if (this.opts.guard.placeHost(req, res)) req.resume();
        else this.opts.webhooks(req, res, path);
      } else {
        req.resume();
        sendError(res, 404, 'NOT_FOUND', 'Not found: GraphQL is served at /graphql');
      }
    });
  }
}

export function createEdge<S>(opts: EdgeOptions<S>): (req: IncomingMessage, res: ServerResponse) => void {
  const edge = new Edge(opts);
  return (req, res) => edge.handle(req, res);
}

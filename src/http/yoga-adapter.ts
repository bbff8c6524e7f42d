// The bridge between node:http and yoga, after the edge (http/edge.ts) has routed, guarded and
// bounded a request. Two ways through, one rule between them, both by yoga's public API:
//
//   - yoga's own `handleRequest`, for every request: every plugin's request-level hooks, yoga's
//     parsers, envelop's pipeline and yoga's result processors. Only the two ends are ours: the
//     request is built with yoga's fetch API from the node request and the body the edge read (or,
//     for multipart, the node stream itself, bounded by the edge while yoga reads it); a whole answer
//     is written in one go with its length (compressed where the client asks), and a stream
//     (server-sent events, multipart incremental delivery) is piped as it comes, never buffered.
//   - the direct path, for the common request (a POST of one JSON operation, no Origin, a JSON
//     Accept): envelop's pipeline (`yoga.getEnveloped`) run directly (the same parse and validate
//     caches, masking, limits, access and reports plugins), with `request` and `params` in the
//     context as yoga puts them. It skips yoga's request-level hooks, so it is used only while no
//     plugin of the gateway has one (`requestLevelHooks`); a plugin that adds one (the response
//     cache, a caller's own) sends every request through `handleRequest`. One exception, by design:
//     persisted documents, whose plugin's one hook (onParams, naming a document by id) the direct
//     path does itself (`resolveDocument`). Anything it does not run cleanly (a document that does
//     not parse or validate, variables that do not coerce) goes to `handleRequest`, so the answer is
//     yoga's. Measured in the bench (docs/performance.md).
//
// A differential test (test/e2e/yoga-adapter.test.ts) sends the same requests both ways and to
// yoga's own node adapter, and requires the same status, headers and body.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { getVariableValues, Kind, parse as graphqlParse, type DocumentNode, type ExecutionResult, type GraphQLError, type GraphQLSchema } from 'graphql';
import type { Plugin, YogaServerInstance } from 'graphql-yoga';
import { operationOf } from '../context/operation.js';
import { MIRRORED_ON_DIRECT_PATH } from '../graphql/persisted.js';
import { compressed, DEFAULT_COMPRESSION, type CompressionOptions } from './compress.js';

/** Content types yoga reads a POST body as (GraphQL over HTTP, forms, multipart uploads). */
export const ACCEPTED_CONTENT_TYPES = [
  'application/json',
  'application/graphql+json',
  'application/graphql',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
];

/** Yoga's hooks that act on the HTTP request or response rather than on the GraphQL operation. */
export const REQUEST_LEVEL_HOOKS = ['onRequest', 'onRequestParse', 'onParams', 'onExecutionResult', 'onResultProcess', 'onResponse'] as const;

/** The request-level hooks a set of plugins has, by plugin index (empty: the direct path may run). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- plugins of any context
export function requestLevelHooks(plugins: readonly Plugin<any>[]): string[] {
  return plugins.flatMap((p, i) => REQUEST_LEVEL_HOOKS.filter((h) => typeof (p as Record<string, unknown>)[h] === 'function').map((h) => `${i}.${h}`));
}

const JSON_TYPE = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json; charset=utf-8';

/** The response content type yoga would choose, or null for an Accept header left to yoga. */
function responseType(accept: string | undefined): string | null {
  if (!accept || accept === '*/*' || accept === 'application/json') return JSON_TYPE;
  if (accept === 'application/graphql-response+json') return GRAPHQL_RESPONSE_TYPE;
  return null;
}

interface Params {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

/** One JSON operation with nothing else in it (or, with persisted documents, one naming a document by id), or null. */
function plainParams(body: string, resolveDocument?: AnswerOptions['resolveDocument']): Params | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const { query: given, variables, operationName, extensions, documentId, ...rest } = parsed as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return null;
  let query: unknown = given;
  if (resolveDocument) {
    // A document beside a documentId: yoga's parameter check words that.
    if (given !== undefined && documentId !== undefined) return null;
    query = resolveDocument({ query: given, documentId, extensions });
    // Other extensions than the persisted query's go to yoga.
    if (extensions !== undefined && extensions !== null && (typeof extensions !== 'object' || Object.keys(extensions).some((k) => k !== 'persistedQuery')))
      return null;
  } else if (documentId !== undefined || (extensions !== undefined && extensions !== null)) return null;
  if (typeof query !== 'string') return null;
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
  return { query, variables: (variables ?? undefined) as Params['variables'], operationName: (operationName ?? undefined) as string | undefined };
}

const requestHeaders = (req: IncomingMessage): Record<string, string> => {
  const out: Record<string, string> = {};
  const raw = req.headers;
  for (const k in raw) {
    const v = raw[k];
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
};

/** Answers one request; `body` as the edge read it (text), a stream (multipart), or null. */
export type YogaAnswer<S> = (req: IncomingMessage, res: ServerResponse, body: string | Readable | null, serverContext: S) => Promise<void>;

export interface AnswerOptions {
  /** Use the direct path where it may run (default true). */
  direct?: boolean;
  /** The plugins the gateway gave yoga: any request-level hook among them turns the direct path off. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- plugins of any context
  plugins: readonly Plugin<any>[];
  /** graphql-js's token limit, for the direct path's own parse check. */
  maxTokens: number;
  /** Compressed answers (http/compress.ts); on above 1 KiB by default. */
  compression?: CompressionOptions;
  /**
   * Persisted documents on the direct path: the document a request's params name (its query, or a
   * manifest document by id), or null to leave the request to yoga, whose plugin words
   * any refusal. Given, plugins marked `mirroredOnDirectPath` (the persisted-documents plugin) do not
   * turn the direct path off: this does their work there.
   */
  resolveDocument?: (params: { query?: unknown; documentId?: unknown; extensions?: unknown }) => string | null;
}

/** Whether plain POSTs may take the direct path with these options. */
export function directPathOn(opts: AnswerOptions): boolean {
  const plugins = opts.resolveDocument ? opts.plugins.filter((p) => !(p as Record<symbol, unknown>)[MIRRORED_ON_DIRECT_PATH]) : opts.plugins;
  return opts.direct !== false && requestLevelHooks(plugins).length === 0;
}

/** graphql-js's own parse check, once per query string (bounded like yoga's caches: past 1000, the oldest is forgotten). */
function cleanParses(maxTokens: number): (query: string) => boolean {
  const good = new Set<string>();
  return (query) => {
    if (good.has(query)) return true;
    try {
      graphqlParse(query, { maxTokens, noLocation: true });
    } catch {
      return false;
    }
    if (good.size >= 1000) good.delete(good.values().next().value!);
    good.add(query);
    return true;
  };
}

/** The fetch Request yoga reads, from the node request and the body the edge read (or its stream). */
function toRequest(Request: typeof globalThis.Request, req: IncomingMessage, body: string | Readable | null): Request {
  const method = req.method ?? 'GET';
  const init: RequestInit & { duplex?: 'half' } = { method, headers: requestHeaders(req) };
  if (body !== null && method !== 'GET' && method !== 'HEAD') {
    init.body = body as unknown as BodyInit;
    if (typeof body !== 'string') init.duplex = 'half';
  }
  return new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/graphql'}`, init);
}

/** The document and operation the direct path may run itself, or null when yoga must answer. */
function runnable(
  enveloped: { parse(q: string): unknown; validate(schema: GraphQLSchema, doc: DocumentNode): unknown; schema: GraphQLSchema },
  params: Params,
): DocumentNode | null {
  try {
    const parsed = enveloped.parse(params.query);
    const document = (parsed as DocumentNode)?.kind === Kind.DOCUMENT ? (parsed as DocumentNode) : undefined;
    const op = document && operationOf(document, params.operationName);
    const { schema } = enveloped;
    const ok =
      document &&
      op &&
      op.operation !== 'subscription' &&
      (enveloped.validate(schema, document) as readonly GraphQLError[]).length === 0 &&
      // Variables that do not coerce are a request error yoga words (and answers 400 for).
      !('errors' in getVariableValues(schema, op.variableDefinitions ?? [], params.variables ?? {}, { maxErrors: 1 }));
    return ok ? document : null;
  } catch {
    // A hook refused the document (yoga's own, e.g. no operation to run): yoga words that.
    return null;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any server context
export function yogaAnswer<S extends Record<string, any>>(yoga: YogaServerInstance<S, any>, opts: AnswerOptions): YogaAnswer<S> {
  const compression = opts.compression ?? DEFAULT_COMPRESSION;
  const direct = directPathOn(opts);
  const parsesCleanly = cleanParses(opts.maxTokens);

  /** The direct path's answer, or false when the request is yoga's. */
  async function directly(req: IncomingMessage, res: ServerResponse, body: string, request: Request, serverContext: S): Promise<boolean> {
    const contentType = (req.headers['content-type'] ?? '').toLowerCase().replace(/\s+/g, '');
    const type = responseType(req.headers.accept);
    if (type === null || req.headers.origin !== undefined || (contentType !== 'application/json' && contentType !== 'application/json;charset=utf-8'))
      return false;
    const params = plainParams(body, opts.resolveDocument);
    // A document that does not parse must never reach yoga's parse cache from here: a syntax error
    // cached outside yoga's own flow is later answered with 200 instead of 400. So a new query
    // string is checked with graphql-js first (once), and known-good ones skip the check.
    if (!params || !parsesCleanly(params.query)) return false;
    // A context of its own: should yoga answer after all, it starts from the edge's.
    const enveloped = yoga.getEnveloped({ ...serverContext, request, params });
    const document = runnable(enveloped as Parameters<typeof runnable>[0], params);
    if (!document) return false;
    const result = (await enveloped.execute({
      schema: enveloped.schema,
      document,
      contextValue: await enveloped.contextFactory(),
      variableValues: params.variables,
      operationName: params.operationName,
    })) as ExecutionResult;
    const headers: Record<string, string | number> = { 'content-type': type };
    const out = await compressed(req, headers, JSON.stringify(result), compression);
    res.writeHead(200, headers);
    res.end(out);
    return true;
  }

  return async (req, res, body, serverContext) => {
    const request = toRequest(yoga.fetchAPI.Request, req, body);
    if (direct && req.method === 'POST' && typeof body === 'string' && (await directly(req, res, body, request, serverContext))) return;
    await send(req, res, await yoga.handleRequest(request, serverContext), compression);
  };
}

/** Error answers yoga gives with no body, made GraphQL-shaped with a code; originalError dropped. */
function uniform(req: IncomingMessage, status: number, type: string, payload: Buffer): { payload: Buffer; type?: string } {
  if (status >= 400 && payload.length === 0 && req.method !== 'HEAD') {
    const [code, message] =
      status === 415
        ? [
            'UNSUPPORTED_MEDIA_TYPE',
            `Send the request as one of: ${ACCEPTED_CONTENT_TYPES.join(', ')} (got ${JSON.stringify(String(req.headers['content-type'] ?? 'none').slice(0, 100))}).`,
          ]
        : ['BAD_REQUEST', `The request could not be read (HTTP ${status}).`];
    return { payload: Buffer.from(JSON.stringify({ errors: [{ message, extensions: { code } }] })), type: JSON_TYPE };
  }
  // yoga echoes the request body of invalid JSON as extensions.originalError: never sent back.
  if (type.includes('json') && payload.includes('"originalError"')) {
    const parsed = JSON.parse(payload.toString('utf8')) as unknown;
    const strip = (r: { errors?: { extensions?: Record<string, unknown> }[] }) => r?.errors?.forEach((e) => e.extensions && delete e.extensions.originalError);
    if (Array.isArray(parsed)) parsed.forEach(strip);
    else strip(parsed as Parameters<typeof strip>[0]);
    return { payload: Buffer.from(JSON.stringify(parsed)) };
  }
  return { payload };
}

async function send(req: IncomingMessage, res: ServerResponse, response: Response, compression: CompressionOptions): Promise<void> {
  if (res.writableEnded || res.destroyed) return;
  const headers: Record<string, string | number | string[]> = {};
  response.headers.forEach((v, k) => {
    if (k !== 'set-cookie') headers[k] = v;
  });
  const cookies = response.headers.getSetCookie?.() ?? [];
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const type = response.headers.get('content-type') ?? '';
  if (response.body && (type.startsWith('text/event-stream') || type.startsWith('multipart/mixed'))) {
    delete headers['content-length'];
    res.writeHead(response.status, headers);
    res.flushHeaders();
    // Written as it comes; a client that goes away ends the iteration (and with it the source).
    const iterator = (response.body as unknown as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    res.once('close', () => void iterator.return?.());
    for (let next = await iterator.next(); !next.done && !res.destroyed; next = await iterator.next()) {
      if (!res.write(next.value)) await new Promise((r) => res.once('drain', r));
    }
    res.end();
    return;
  }
  const out = uniform(req, response.status, type, Buffer.from(await response.arrayBuffer()));
  if (out.type) headers['content-type'] = out.type;
  delete headers['content-length'];
  const payload = await compressed(req, headers, out.payload, compression);
  res.writeHead(response.status, headers);
  res.end(req.method === 'HEAD' ? undefined : payload);
}

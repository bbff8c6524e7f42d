// A direct path for the common request: a POST of one JSON GraphQL operation. It runs the same
// envelop pipeline yoga runs (parse and validate caches, error masking, limits, access, reports)
// but skips yoga's fetch-API request/response layer, which measured five times the cost of the
// rest (README, Performance). Anything else — GET, batches, browsers (CORS), other encodings,
// requests that do not parse or validate — goes to yoga itself with the body already read, so
// the answer is yoga's own.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getVariableValues, Kind, parse as graphqlParse, type DocumentNode, type ExecutionResult, type GraphQLError } from 'graphql';
import type { YogaServerInstance } from 'graphql-yoga';
import { operationOf } from './limits.js';

type Yoga<S extends Record<string, any>> = YogaServerInstance<S, any>;

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

function plainParams(body: Buffer): Params | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const { query, variables, operationName, extensions, ...rest } = parsed as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || (extensions !== undefined && extensions !== null)) return null;
  if (typeof query !== 'string') return null;
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
  return { query, variables: (variables ?? undefined) as Params['variables'], operationName: (operationName ?? undefined) as string | undefined };
}

export function createFastPath<S extends Record<string, any>>(yoga: Yoga<S>, maxTokens: number) {
  const good = new Set<string>();
  const parsesCleanly = (query: string): boolean => {
    if (good.has(query)) return true;
    try {
      graphqlParse(query, { maxTokens, noLocation: true });
    } catch {
      return false;
    }
    // Bounded like yoga's own caches: past 1000 documents, the oldest is forgotten.
    if (good.size >= 1000) good.delete(good.values().next().value!);
    good.add(query);
    return true;
  };

  /** Answers a buffered POST to the GraphQL endpoint, directly or through yoga. */
  return async function answer(req: IncomingMessage, res: ServerResponse, body: Buffer, serverContext: S, enabled = true): Promise<void> {
    const contentType = (req.headers['content-type'] ?? '').toLowerCase().replace(/\s+/g, '');
    const type = responseType(req.headers.accept);
    const plain =
      enabled &&
      type !== null &&
      req.headers.origin === undefined &&
      (contentType === 'application/json' || contentType === 'application/json;charset=utf-8');
    const params = plain ? plainParams(body) : null;
    if (params) {
      const { parse, validate, contextFactory, execute, schema } = yoga.getEnveloped(serverContext);
      // A document that does not parse must never reach yoga's parse cache from here: a syntax
      // error cached outside yoga's own flow is later answered with 200 instead of 400. So a new
      // query string is checked with graphql-js first (once), and known-good ones skip the check.
      let document: DocumentNode | undefined;
      if (parsesCleanly(params.query)) {
        const parsed = parse(params.query) as unknown;
        document = (parsed as DocumentNode)?.kind === Kind.DOCUMENT ? (parsed as DocumentNode) : undefined;
      }
      const op = document && operationOf(document, params.operationName);
      const runnable =
        document &&
        op &&
        op.operation !== 'subscription' &&
        (validate(schema, document) as readonly GraphQLError[]).length === 0 &&
        // Variables that do not coerce are a request error yoga words (and answers 400 for).
        !('errors' in getVariableValues(schema, op.variableDefinitions ?? [], params.variables ?? {}, { maxErrors: 1 }));
      if (runnable) {
        const result = (await execute({
          schema,
          document: document!,
          contextValue: await contextFactory(),
          variableValues: params.variables,
          operationName: params.operationName,
        })) as ExecutionResult;
        const out = JSON.stringify(result);
        res.writeHead(200, { 'content-type': type!, 'content-length': Buffer.byteLength(out) });
        res.end(out);
        return;
      }
    }
    // Everything else is yoga's to answer, from the body already read.
    await viaYoga(yoga, req, res, body, serverContext);
  };
}

/** Content types yoga reads a POST body as (GraphQL over HTTP, forms, multipart uploads). */
export const ACCEPTED_CONTENT_TYPES = ['application/json', 'application/graphql+json', 'application/graphql', 'application/x-www-form-urlencoded', 'multipart/form-data'];

/**
 * A request answered by yoga itself, its answer made uniform: an error status with no body gets a
 * GraphQL-shaped error with a code (415 names the content types accepted), and no error carries
 * `extensions.originalError` (yoga's echo of the request body on invalid JSON). Streams (server-
 * sent events, multipart) pass through as they come.
 */
export async function viaYoga<S extends Record<string, any>>(yoga: Yoga<S>, req: IncomingMessage, res: ServerResponse, body: Buffer | null, serverContext: S): Promise<void> {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
  const url = new URL(req.url ?? '/graphql', `http://${req.headers.host ?? 'localhost'}`);
  const response = await yoga.fetch(url, { method: req.method ?? 'GET', headers, ...(body && { body: new Uint8Array(body) }) }, serverContext);
  const outHeaders: Record<string, string> = {};
  response.headers.forEach((v, k) => (outHeaders[k] = v));
  const type = response.headers.get('content-type') ?? '';
  if (response.body && (type.startsWith('text/event-stream') || type.startsWith('multipart/mixed'))) {
    res.writeHead(response.status, outHeaders);
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
    res.end();
    return;
  }
  let payload = Buffer.from(await response.arrayBuffer());
  if (response.status >= 400 && payload.length === 0 && req.method !== 'HEAD') {
    const [code, message] =
      response.status === 415
        ? ['UNSUPPORTED_MEDIA_TYPE', `Send the request as one of: ${ACCEPTED_CONTENT_TYPES.join(', ')} (got ${JSON.stringify(String(req.headers['content-type'] ?? 'none').slice(0, 100))}).`]
        : ['BAD_REQUEST', `The request could not be read (HTTP ${response.status}).`];
    payload = Buffer.from(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
    outHeaders['content-type'] = 'application/json; charset=utf-8';
  } else if (type.includes('json') && payload.includes('"originalError"')) {
    const parsed = JSON.parse(payload.toString('utf8')) as unknown;
    const strip = (r: { errors?: { extensions?: Record<string, unknown> }[] }) => r?.errors?.forEach((e) => e.extensions && delete e.extensions.originalError);
    if (Array.isArray(parsed)) parsed.forEach(strip);
    else strip(parsed as Parameters<typeof strip>[0]);
    payload = Buffer.from(JSON.stringify(parsed));
  }
  outHeaders['content-length'] = String(payload.length);
  res.writeHead(response.status, outHeaders);
  res.end(payload);
}

// The spans the gateway makes, by the OpenTelemetry API alone (the SDK is loaded only when tracing
// is on: ops/tracing.ts). Each is made only where a tracer was handed over, so with tracing off none
// of this runs.
//
//   - the HTTP request: a SERVER span, child of the caller's `traceparent` when one came;
//   - parse, validate and execute of each GraphQL operation (an envelop plugin, so both paths to yoga);
//   - the resolvers of the connection, the lookups, the events and every mutation;
//   - each attempt at a provider: a CLIENT span with HTTP semantic conventions (method, URL without
//     its query, status, resend count) and the provider and account; the request carries `traceparent`.
// No span carries a secret, a caller's values or evidence text: names, ids the gateway routes by,
// statuses and error codes only.
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { defaultFieldResolver, isObjectType, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import { operationOf } from '../context/operation.js';
import type { ExchangeSpans } from '../providers/http.js';

const fail = (span: Span, err: unknown) => {
  const code = (err as { code?: unknown })?.code;
  span.setStatus({ code: SpanStatusCode.ERROR, message: typeof code === 'string' ? code : 'error' });
  span.setAttribute('error.type', typeof code === 'string' ? code : ((err as Error)?.name ?? 'Error'));
};

/**
 * Whose `traceparent` a SERVER span continues (OTEL_TRUST_INCOMING_TRACE): `keyed` (the default)
 * only a caller presenting a valid key; `never`; `always` (a gateway behind a proxy that sets it).
 * An untrusted caller's sampled flag would otherwise force export past the sampler's ratio.
 */
export type TraceTrust = 'keyed' | 'never' | 'always';

export function traceTrustFromEnv(env: NodeJS.ProcessEnv): TraceTrust {
  const v = env.OTEL_TRUST_INCOMING_TRACE?.trim().toLowerCase() || 'keyed';
  if (v !== 'keyed' && v !== 'never' && v !== 'always')
    throw new Error(`OTEL_TRUST_INCOMING_TRACE must be keyed, never or always; got ${JSON.stringify(v).slice(0, 40)}`);
  return v;
}

/**
 * The caller's trace context, when trusted, without its `tracestate`: vendor entries a caller
 * wrote are not ours to forward to providers.
 */
function parentOf(req: IncomingMessage, trusted: boolean): Context {
  if (!trusted) return ROOT_CONTEXT;
  const sc = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, req.headers));
  return sc ? trace.setSpanContext(ROOT_CONTEXT, { traceId: sc.traceId, spanId: sc.spanId, traceFlags: sc.traceFlags, isRemote: true }) : ROOT_CONTEXT;
}

/**
 * The SERVER span of one HTTP request, child of its `traceparent` when `trusted`; ended when the
 * response closes. Returns the context to run the request in.
 */
export function serverSpan(tracer: Tracer, req: IncomingMessage, res: ServerResponse, route: string, trusted = true): Context {
  const parent = parentOf(req, trusted);
  const span = tracer.startSpan(
    `${req.method ?? 'GET'} ${route}`,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? 'GET', 'url.path': route, 'http.route': route, 'url.scheme': 'http' } },
    parent,
  );
  res.once('close', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  return trace.setSpan(parent, span);
}

/** Spans for parse, validate and execute (and subscribe), on whichever path the operation came. */
export function tracingPlugin(tracer: Tracer): Plugin {
  return {
    onParse() {
      const span = tracer.startSpan('graphql.parse');
      return ({ result }) => {
        if (result instanceof Error) fail(span, result);
        span.end();
      };
    },
    onValidate() {
      const span = tracer.startSpan('graphql.validate');
      return ({ valid }) => {
        if (!valid) span.setStatus({ code: SpanStatusCode.ERROR, message: 'GRAPHQL_VALIDATION_FAILED' });
        span.end();
      };
    },
    onExecute({ args, executeFn, setExecuteFn }) {
      const op = operationOf(args.document as DocumentNode, args.operationName ?? undefined);
      const span = tracer.startSpan(`graphql.execute${op?.name ? ` ${op.name.value}` : ''}`, {
        attributes: { 'graphql.operation.type': op?.operation ?? 'query', ...(op?.name && { 'graphql.operation.name': op.name.value }) },
      });
      const ctx = trace.setSpan(context.active(), span);
      // Resolvers, and the provider calls they make, run inside the execute span.
      setExecuteFn((a) => context.with(ctx, () => executeFn(a)));
      return {
        onExecuteDone({ result }) {
          const errors = (result as { errors?: unknown[] }).errors;
          if (errors?.length) span.setStatus({ code: SpanStatusCode.ERROR, message: `${errors.length} error(s)` });
          span.end();
        },
      };
    },
    onSubscribe({ args }) {
      const op = operationOf(args.document as DocumentNode, args.operationName ?? undefined);
      tracer
        .startSpan('graphql.subscribe', {
          attributes: { 'graphql.operation.type': 'subscription', ...(op?.name && { 'graphql.operation.name': op.name.value }) },
        })
        .end();
    },
  };
}

/** Root fields whose resolvers get a span: the connection, the lookups, the events and every mutation. */
const TRACED: Record<string, ReadonlySet<string> | 'all'> = {
  Query: new Set(['disputes', 'dispute', 'disputeByProviderId', 'node', 'nodes', 'disputeEvents', 'providers']),
  Mutation: 'all',
};

/** Wraps those resolvers of this gateway's own schema in spans (the schema is built per gateway). */
export function traceResolvers(schema: GraphQLSchema, tracer: Tracer): void {
  for (const [typeName, fields] of Object.entries(TRACED)) {
    const type = schema.getType(typeName);
    if (!isObjectType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      if (fields !== 'all' && !fields.has(field.name)) continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      const name = `${typeName}.${field.name}`;
      field.resolve = (source, args, ctx, info) =>
        tracer.startActiveSpan(name, { attributes: { 'graphql.field.name': field.name, 'graphql.field.type': typeName } }, async (span) => {
          try {
            return await resolve(source, args, ctx, info);
          } catch (err) {
            fail(span, err);
            throw err;
          } finally {
            span.end();
          }
        });
    }
  }
}

/** The CLIENT span of one attempt at a provider; the headers get its `traceparent`. */
export function clientSpan(
  tracer: Tracer,
  attempt: { provider: string; account: string; operation: string; method: string; url: string; resend: number },
  headers: Record<string, string>,
): { end(status: number | undefined, error?: unknown): void } {
  const u = new URL(attempt.url);
  const span = tracer.startSpan(attempt.method, {
    kind: SpanKind.CLIENT,
    attributes: {
      'http.request.method': attempt.method,
      // The path names the dispute; the query (filters, cursors) is left out.
      'url.full': `${u.origin}${u.pathname}`,
      'server.address': u.hostname,
      'server.port': Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
      'dispute_gateway.provider': attempt.provider,
      'dispute_gateway.account': attempt.account,
      'dispute_gateway.operation': attempt.operation,
      ...(attempt.resend > 0 && { 'http.request.resend_count': attempt.resend }),
    },
  });
  propagation.inject(trace.setSpan(context.active(), span), headers);
  return {
    end(status, error) {
      if (status !== undefined) span.setAttribute('http.response.status_code', status);
      if (error !== undefined) fail(span, error);
      else if (status !== undefined && status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}

/** The provider pipeline's spans (providers/http.ts ExchangeSpans), on this tracer. */
export const providerSpans = (tracer: Tracer): ExchangeSpans => ({ start: (exchange, headers) => clientSpan(tracer, exchange, headers) });

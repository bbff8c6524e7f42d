// Traces: one `disputes` query over two providers gives one tree — the HTTP request (child of the
// caller's traceparent), parse, validate, execute, the connection's resolver, and a CLIENT span per
// provider attempt — and each fake received a traceparent naming its attempt's span. The SDK's
// in-memory exporter stands in for a collector; the gateway's code is the same as with OTLP.
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { startTracing, type Tracing } from '../../src/ops/tracing.js';
import { providersFromEnv, secretsOf } from '../../src/providers/registry.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startGateway, type Gateway } from '../../src/server.js';

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let sandbox: Sandbox;
let gateway: Gateway;

beforeAll(async () => {
  tracing = await startTracing({ exporter });
  sandbox = await startSandbox(42, { count: 20, only: ['STRIPE', 'FLEX'] });
  // An open gateway has no keys to trust a caller by: this one trusts every traceparent (OTEL_TRUST_INCOMING_TRACE=always);
  // the default (callers with a valid key) is the security suite's (test/security/round3-tracing.test.ts).
  gateway = await startGateway({
    providers: providersFromEnv(sandbox.env),
    port: 0,
    tracer: tracing.tracer,
    traceTrust: 'always',
    logger: createLogger({ level: 'error', secrets: [], write: () => {} }),
  });
});

afterAll(async () => {
  await gateway?.close(100);
  await sandbox?.close();
  await tracing?.shutdown();
});

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const QUERY = `query Inbox { disputes(first: 3, filter: { providers: [STRIPE, FLEX] }) { nodes { id provider } } }`;

const children = (spans: ReadableSpan[], parent: ReadableSpan) => spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);

async function traceOf(send: () => Promise<Response>): Promise<ReadableSpan[]> {
  exporter.reset();
  const res = await send();
  expect(res.status).toBe(200);
  const body = (await res.json()) as { data: { disputes: { nodes: unknown[] } } };
  expect(body.data.disputes.nodes).toHaveLength(3);
  // The server span ends when the response has closed.
  await expect.poll(() => exporter.getFinishedSpans().some((s) => s.name.endsWith(' /graphql'))).toBe(true);
  return exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === TRACE_ID);
}

describe('a traced disputes query over two providers', () => {
  for (const [way, send] of [
    [
      'a plain POST (the direct path)',
      () =>
        fetch(gateway.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` },
          body: JSON.stringify({ query: QUERY }),
        }),
    ],
    [
      "a GET (yoga's hooks)",
      () =>
        fetch(`${gateway.url}?query=${encodeURIComponent(QUERY)}`, {
          headers: { accept: 'application/json', traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` },
        }),
    ],
  ] as const) {
    it(`forms one tree under the caller's traceparent, sent on to the providers: ${way}`, async () => {
      const before = new Map(sandbox.fakes.map(({ name, fake }) => [name, fake.server.requests.length]));
      const spans = await traceOf(send);
      const server = spans.find((s) => s.name.endsWith(' /graphql'))!;
      expect(server.parentSpanContext?.spanId).toBe(CALLER_SPAN);
      expect(server.attributes['http.response.status_code']).toBe(200);
      const top = children(spans, server)
        .map((s) => s.name)
        .sort();
      expect(top).toEqual(['graphql.execute Inbox', 'graphql.parse', 'graphql.validate']);
      const execute = spans.find((s) => s.name === 'graphql.execute Inbox')!;
      expect(execute.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
      const resolver = children(spans, execute).find((s) => s.name === 'Query.disputes')!;
      expect(resolver).toBeDefined();
      const attempts = children(spans, resolver);
      expect(new Set(attempts.map((s) => s.attributes['dispute_gateway.provider']))).toEqual(new Set(['STRIPE', 'FLEX']));
      for (const a of attempts) {
        expect(a.kind).toBe(2); // CLIENT
        expect(a.attributes['http.request.method']).toBe('GET');
        expect(a.attributes['http.response.status_code']).toBe(200);
        expect(String(a.attributes['url.full'])).not.toContain('?');
      }
      // Each fake received a traceparent naming the attempt's own span.
      for (const { name, fake } of sandbox.fakes) {
        const received = fake.server.requests.slice(before.get(name)).map((r) => r.headers.traceparent as string);
        expect(received.length).toBeGreaterThan(0);
        for (const tp of received) {
          const [, traceId, parentId] = tp.split('-');
          expect(traceId).toBe(TRACE_ID);
          expect(attempts.some((a) => a.spanContext().spanId === parentId && a.attributes['dispute_gateway.provider'] === name)).toBe(true);
        }
      }
      // No secret in any span.
      const text = JSON.stringify(spans.map((s) => ({ name: s.name, attributes: s.attributes })));
      for (const secret of secretsOf(providersFromEnv(sandbox.env))) expect(text).not.toContain(secret);
    });
  }

  it('a request without traceparent starts its own trace', async () => {
    exporter.reset();
    await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    await expect.poll(() => exporter.getFinishedSpans().find((s) => s.name.endsWith(' /graphql'))).toBeDefined();
    const server = exporter.getFinishedSpans().find((s) => s.name.endsWith(' /graphql'))!;
    expect(server.parentSpanContext).toBeUndefined();
    expect(server.spanContext().traceId).not.toBe(TRACE_ID);
  });
});

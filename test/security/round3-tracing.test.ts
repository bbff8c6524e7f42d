// Security round three, tracing: with parentbased_traceidratio at 0, a caller's sampled
// traceparent is continued (and exported) only when the request presents a valid key, and a
// caller's tracestate never reaches a provider.
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing, type Tracing } from '../../src/ops/tracing.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { ADMIN, probeGateway, probeKeys, type ProbeGateway } from './helpers.js';

const exporter = new InMemorySpanExporter();
const TRACE_ID = '5af92f3577b34da6a3ce929d0e0e4731';
const PARENT = '10f067aa0ba902b7';
const TRACESTATE = Array.from({ length: 30 }, (_, i) => `v${i}=x${i}`).join(',');

describe('security round three: incoming trace context', () => {
  let tracing: Tracing;
  let sandbox: Sandbox;
  let probe: ProbeGateway;
  beforeAll(async () => {
    process.env.OTEL_TRACES_SAMPLER = 'parentbased_traceidratio';
    process.env.OTEL_TRACES_SAMPLER_ARG = '0';
    tracing = await startTracing({ exporter });
    sandbox = await startSandbox(19, { count: 20, only: ['STRIPE'] });
    probe = await probeGateway(sandbox, { auth: { mode: 'keys', store: probeKeys() }, tracer: tracing.tracer });
  });
  afterAll(async () => {
    await probe.gateway.close(100);
    await sandbox.close();
    await tracing.shutdown();
    delete process.env.OTEL_TRACES_SAMPLER;
    delete process.env.OTEL_TRACES_SAMPLER_ARG;
  });

  const send = (key: string | null) =>
    fetch(probe.gateway.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: `00-${TRACE_ID}-${PARENT}-01`,
        tracestate: TRACESTATE,
        ...(key && { authorization: `Bearer ${key}` }),
      },
      body: JSON.stringify({ query: '{ disputes(first: 2) { nodes { id } } }' }),
    });

  it('item 10: a caller without a key cannot force export by a sampled traceparent', async () => {
    exporter.reset();
    expect((await send(null)).status).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it("item 10: a keyed caller's trace is continued, without its tracestate reaching the provider", async () => {
    exporter.reset();
    const stripe = sandbox.fakes.find((f) => f.name === 'STRIPE')!.fake.server;
    const before = stripe.requests.length;
    expect((await send(ADMIN)).status).toBe(200);
    await expect.poll(() => exporter.getFinishedSpans().some((s) => s.name.endsWith(' /graphql'))).toBe(true);
    const server = exporter.getFinishedSpans().find((s) => s.name.endsWith(' /graphql'))!;
    expect(server.spanContext().traceId).toBe(TRACE_ID);
    expect(server.parentSpanContext?.spanId).toBe(PARENT);
    const received = stripe.requests.slice(before);
    expect(received.length).toBeGreaterThan(0);
    for (const r of received) {
      expect(String(r.headers.traceparent)).toContain(TRACE_ID);
      expect(r.headers.tracestate).toBeUndefined();
    }
  });
});

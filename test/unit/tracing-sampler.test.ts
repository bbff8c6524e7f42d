// OTEL_TRACES_SAMPLER is read as the specification names it: here `traceidratio` with 0 keeps no
// trace, while a caller's sampled traceparent is still followed under `parentbased_*` (the default).
import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { startTracing } from '../../src/ops/tracing.js';

describe('trace sampling from the environment', () => {
  it('parentbased_traceidratio 0: no root is kept, a sampled parent is followed', async () => {
    process.env.OTEL_TRACES_SAMPLER = 'parentbased_traceidratio';
    process.env.OTEL_TRACES_SAMPLER_ARG = '0';
    const exporter = new InMemorySpanExporter();
    const tracing = await startTracing({ exporter });
    try {
      tracing.tracer.startSpan('root').end();
      expect(exporter.getFinishedSpans()).toHaveLength(0);
      const parent = propagation.extract(ROOT_CONTEXT, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
      context.with(parent, () => tracing.tracer.startSpan('child').end());
      expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['child']);
      expect(trace.getSpanContext(parent)?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    } finally {
      delete process.env.OTEL_TRACES_SAMPLER;
      delete process.env.OTEL_TRACES_SAMPLER_ARG;
      await tracing.shutdown();
    }
  });
});

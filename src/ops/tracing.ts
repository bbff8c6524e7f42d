// OpenTelemetry traces, off unless OTEL_EXPORTER_OTLP_ENDPOINT (or …_TRACES_ENDPOINT) is set: then
// the SDK is loaded and spans go by OTLP (protobuf over HTTP, configured by the standard OTEL_*
// variables) through a batch processor. Off, the SDK is never loaded and no tracer is handed to the
// edge, the pipeline or the schema (ops/spans.ts makes the spans).
import type { Tracer } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { GATEWAY_VERSION } from '../version.js';

export interface Tracing {
  tracer: Tracer;
  /** Sends what is buffered and stops. */
  shutdown(): Promise<void>;
}

/** Whether the environment asks for traces (the standard variables). */
export function tracingWanted(env: NodeJS.ProcessEnv): boolean {
  if (['true', '1'].includes(env.OTEL_SDK_DISABLED?.trim().toLowerCase() ?? '')) return false;
  if (env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/**
 * Registers a tracer provider for this process (context by AsyncLocalStorage, W3C trace context).
 * `exporter`: the default is OTLP; tests pass the SDK's in-memory exporter (sent at once).
 */
export async function startTracing(opts: { serviceName?: string; exporter?: SpanExporter } = {}): Promise<Tracing> {
  const [
    { context, propagation, trace },
    { AsyncLocalStorageContextManager },
    { W3CTraceContextPropagator },
    { resourceFromAttributes },
    { AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, SimpleSpanProcessor, TraceIdRatioBasedSampler, TracerProvider },
  ] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace'),
  ]);
  let exporter = opts.exporter;
  if (!exporter) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
    exporter = new OTLPTraceExporter();
  }
  // OTEL_TRACES_SAMPLER (and _ARG), as the specification names them; default parentbased_always_on.
  const ratio = Number(process.env.OTEL_TRACES_SAMPLER_ARG ?? 1);
  const root = {
    always_on: new AlwaysOnSampler(),
    always_off: new AlwaysOffSampler(),
    traceidratio: new TraceIdRatioBasedSampler(Number.isFinite(ratio) ? ratio : 1),
  };
  const wanted = process.env.OTEL_TRACES_SAMPLER?.trim().toLowerCase() || 'parentbased_always_on';
  const chosen = root[wanted.replace(/^parentbased_/, '') as keyof typeof root] ?? root.always_on;
  const sampler = wanted.startsWith('parentbased_') ? new ParentBasedSampler({ root: chosen }) : chosen;
  const provider = new TracerProvider({
    sampler,
    resource: resourceFromAttributes({
      'service.name': opts.serviceName ?? process.env.OTEL_SERVICE_NAME ?? 'dispute-gateway',
      'service.version': GATEWAY_VERSION,
    }),
    spanProcessors: [opts.exporter ? new SimpleSpanProcessor({ exporter }) : new BatchSpanProcessor({ exporter })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return { tracer: provider.getTracer('dispute-gateway', GATEWAY_VERSION), shutdown: () => provider.shutdown() };
}

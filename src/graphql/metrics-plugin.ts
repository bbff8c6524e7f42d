// Counts and times every GraphQL operation for the metrics, on whichever path it came (the direct
// path and yoga's both run envelop's execute and subscribe hooks; this plugin has no request-level
// hook, so it keeps the direct path). Errors are counted by code where they are masked (errors.ts).
import type { DocumentNode, ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayMetrics } from '../ops/metrics.js';
import { operationOf } from '../context/operation.js';

export function metricsPlugin(metrics: GatewayMetrics): Plugin {
  const start = (args: { document: unknown; operationName?: string | null }) => {
    const op = operationOf(args.document as DocumentNode, args.operationName ?? undefined);
    return { name: op?.name?.value, type: op?.operation ?? 'query', started: performance.now() };
  };
  const done = (o: ReturnType<typeof start>, result: unknown) => {
    const single = typeof result === 'object' && result !== null && !(Symbol.asyncIterator in result);
    const failed = single && ((result as ExecutionResult).errors?.length ?? 0) > 0;
    // No data at all: nothing ran (refused by access or limits, or its variables did not coerce).
    const refused = single && failed && (result as ExecutionResult).data === undefined;
    metrics.operation(refused ? null : o.name, o.type, failed ? 'error' : 'ok', (performance.now() - o.started) / 1000);
  };
  return {
    onExecute({ args }) {
      const o = start(args);
      return { onExecuteDone: ({ result }) => done(o, result) };
    },
    onSubscribe({ args }) {
      const o = start(args);
      return { onSubscribeResult: ({ result }) => done(o, result) };
    },
  };
}

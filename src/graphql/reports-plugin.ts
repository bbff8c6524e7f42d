// Adds what resolvers reported beside their data (context.reports) to the execution result:
// a failed provider's error in `errors`, scan limits under `extensions.scanLimited`, and the
// freshness of pages served by the index under `extensions.index`.
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from './context.js';

export function reportsPlugin(): Plugin<GatewayContext> {
  return {
    onExecute() {
      return {
        onExecuteDone({ args, result, setResult }) {
          const { reports } = args.contextValue as GatewayContext;
          if (!reports || (reports.errors.length === 0 && reports.scanLimited.length === 0 && reports.index.length === 0)) return;
          if (Symbol.asyncIterator in (result as object)) return;
          const r = result as ExecutionResult;
          // The spec: `errors` is absent or non-empty. A scan-limited page without errors has none
          // (clients test `if (result.errors)`).
          const errors = [...(r.errors ?? []), ...reports.errors];
          const { errors: _, ...rest } = r;
          const extensions = {
            ...r.extensions,
            ...(reports.scanLimited.length > 0 && {
              scanLimited: reports.scanLimited.map((s) => ({
                ...s,
                message: `the gateway-side filter read ${s.scannedPages} list pages of ${s.provider} and stopped; the page may be short, page on to continue`,
              })),
            }),
            ...(reports.index.length > 0 && {
              index: reports.index.map((i) => ({ path: i.path, asOf: i.asOf.toISOString(), lagSeconds: i.lagSeconds, complete: i.complete })),
            }),
          };
          setResult({
            ...rest,
            ...(errors.length > 0 && { errors }),
            ...(Object.keys(extensions).length > 0 && { extensions }),
          });
        },
      };
    },
  };
}

// Adds what resolvers reported beside their data (context.reports) to the execution result:
// a failed provider's error in `errors`, and scan limits under `extensions.scanLimited`.
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from './context.js';

export function reportsPlugin(): Plugin<GatewayContext> {
  return {
    onExecute() {
      return {
        onExecuteDone({ args, result, setResult }) {
          const { reports } = args.contextValue as GatewayContext;
          if (!reports || (reports.errors.length === 0 && reports.scanLimited.length === 0)) return;
          if (Symbol.asyncIterator in (result as object)) return;
          const r = result as ExecutionResult;
          // The spec: `errors` is absent or non-empty. A scan-limited page without errors has none
          // (clients test `if (result.errors)`).
          const errors = [...(r.errors ?? []), ...reports.errors];
          const { errors: _, ...rest } = r;
          setResult({
            ...rest,
            ...(errors.length > 0 && { errors }),
            ...(reports.scanLimited.length > 0 && {
              extensions: {
                ...r.extensions,
                scanLimited: reports.scanLimited.map((s) => ({
                  ...s,
                  message: `the gateway-side filter read ${s.scannedPages} list pages of ${s.provider} and stopped; the page may be short, page on to continue`,
                })),
              },
            }),
          });
        },
      };
    },
  };
}

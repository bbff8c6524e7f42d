// The one place gateway errors become GraphQL errors. Expected failures carry `extensions.code`
// (and the provider's name and code); anything else is masked, logged, and never shown.
import { GraphQLError } from 'graphql';
import { BadUserInput, ProviderError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { providerDisplayName } from '../providers/http.js';

// By name rather than instanceof: a process can hold graphql's CJS and ESM builds at once.
const isGraphQLError = (e: unknown): e is GraphQLError => e instanceof Error && e.name === 'GraphQLError';

export function makeMaskError(logger: Logger) {
  return (error: unknown, message: string): Error => {
    const graphqlError = isGraphQLError(error) ? error : undefined;
    // Executors wrap errors in located GraphQLErrors, sometimes more than once: find the cause.
    let original: unknown = error;
    while (isGraphQLError(original) && original.originalError) original = original.originalError;
    const located = (msg: string, extensions: Record<string, unknown>) =>
      new GraphQLError(msg, {
        nodes: graphqlError?.nodes,
        source: graphqlError?.source,
        positions: graphqlError?.positions,
        path: graphqlError?.path,
        extensions,
      });

    if (original instanceof ProviderError) {
      logger.warn('provider error', {
        provider: original.provider,
        code: original.code,
        status: original.status,
        providerCode: original.providerCode,
        requestId: original.requestId,
        message: original.message,
      });
      return located(logger.redact(original.message), {
        code: original.code,
        provider: original.provider,
        providerName: providerDisplayName(original.provider),
        ...(original.providerCode && { providerCode: original.providerCode }),
        ...(original.status !== undefined && { providerStatus: original.status }),
        ...(original.requestId && { requestId: original.requestId }),
      });
    }
    if (original instanceof BadUserInput) {
      return located(original.message, { code: 'BAD_USER_INPUT', ...(original.field && { field: original.field }) });
    }
    // GraphQL's own errors (syntax, validation, coercion) and GraphQLErrors we raised deliberately.
    if (graphqlError && isGraphQLError(original)) return graphqlError;
    logger.error('unexpected error', { error: original, path: graphqlError?.path });
    return located(message, { code: 'INTERNAL_SERVER_ERROR' });
  };
}

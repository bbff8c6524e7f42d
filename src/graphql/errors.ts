// The one place gateway errors become GraphQL errors. Expected failures carry `extensions.code`
// (and the provider's name and code); anything else is masked, logged, and never shown.
import { GraphQLError } from 'graphql';
import { BadUserInput, ProviderError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { providerDisplayName } from '../providers/http.js';
import { countError } from '../http/request-scope.js';
import { truncate } from '../domain/ids.js';

// By name rather than instanceof: a process can hold graphql's CJS and ESM builds at once.
const isGraphQLError = (e: unknown): e is GraphQLError => e instanceof Error && e.name === 'GraphQLError';

/** Longest error message sent: longer ones (echoes of a caller's input) are cut with a marker. */
export const MAX_MESSAGE = 512;

type Location = Pick<GraphQLError, 'nodes' | 'source' | 'positions' | 'path'>;

/**
 * A provider's failure as the client sees it: its code, the provider, its own code and request id.
 * Logged here, once per failure (warn: the gateway works, a provider does not).
 */
export function providerGraphQLError(err: ProviderError, logger: Logger, at: Partial<Location> = {}): GraphQLError {
  if (!providerErrorsLogged.has(err)) {
    providerErrorsLogged.add(err);
    logger.warn('provider error', {
      provider: err.provider,
      code: err.code,
      status: err.status,
      providerCode: err.providerCode,
      requestId: err.requestId,
      message: err.message,
    });
  }
  return new GraphQLError(logger.redact(err.message), {
    nodes: at.nodes,
    source: at.source,
    positions: at.positions,
    path: at.path,
    extensions: {
      code: err.code,
      provider: err.provider,
      providerName: providerDisplayName(err.provider),
      ...(err.providerCode && { providerCode: err.providerCode }),
      ...(err.status !== undefined && { providerStatus: err.status }),
      ...(err.requestId && { requestId: err.requestId }),
    },
  });
}

// A failure reported beside the data and met again by the mask is the same error, logged once.
const providerErrorsLogged = new WeakSet<ProviderError>();

export function makeMaskError(logger: Logger) {
  return (error: unknown, message: string): Error => {
    let masked = mask(error, message);
    const code = (masked as GraphQLError).extensions?.code;
    countError(typeof code === 'string' ? code : 'UNKNOWN');
    // graphql-js quotes a caller's literal in its messages: an echo is bounded, with a marker.
    if (masked.message.length > MAX_MESSAGE && isGraphQLError(masked)) {
      masked = new GraphQLError(truncate(masked.message, MAX_MESSAGE), {
        nodes: masked.nodes,
        source: masked.source,
        positions: masked.positions,
        path: masked.path,
        extensions: masked.extensions,
      });
    }
    return masked;
  };
  function mask(error: unknown, message: string): Error {
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

    if (original instanceof ProviderError) return providerGraphQLError(original, logger, graphqlError);
    if (original instanceof BadUserInput) {
      return located(original.message, { code: 'BAD_USER_INPUT', ...(original.field && { field: original.field }) });
    }
    // GraphQL's own errors (syntax, validation, coercion) and GraphQLErrors we raised deliberately.
    if (graphqlError && isGraphQLError(original)) return graphqlError;
    logger.error('unexpected error', { error: original, path: graphqlError?.path });
    return located(message, { code: 'INTERNAL_SERVER_ERROR' });
  }
}

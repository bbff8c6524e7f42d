// The one place gateway errors become GraphQL errors. Expected failures carry `extensions.code`
// (and the provider's name and code); anything else is masked, logged, and never shown.
import { BREAK, GraphQLError, Kind, parse, visit, type ArgumentNode, type ASTNode, type DocumentNode, type ObjectFieldNode } from 'graphql';
import { BadUserInput, IndexUnavailableError, NotSupported, ProviderError, ServiceUnavailable } from '../domain/errors.js';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.js';
import { providerDisplayName } from '../providers/http.js';
import { countError } from '../context/request-scope.js';
import type { GatewayMetrics } from '../ops/metrics.js';
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

const VALUE_KINDS = new Set<string>([Kind.INT, Kind.FLOAT, Kind.STRING, Kind.BOOLEAN, Kind.NULL, Kind.ENUM, Kind.LIST, Kind.OBJECT]);

/**
 * A variable that does not coerce ("Variable "$id" of required type…", "got invalid value…") or a
 * literal argument that does not fit its type (graphql-js's ValuesOfCorrectType, the DateTime
 * scalar's own words) as BAD_USER_INPUT with `field`: `$name` for a variable, the argument path
 * (`filter.created.gte`) for a literal. Null for any other error.
 */
export function typedInputError(err: GraphQLError): GraphQLError | null {
  const code = err.extensions?.code;
  if (code !== undefined && code !== 'GRAPHQL_VALIDATION_FAILED' && code !== 'BAD_USER_INPUT') return null;
  if (code === 'BAD_USER_INPUT' && err.extensions.field) return null;
  const variable = /^Variable "\$(\w+)"/.exec(err.message);
  let field: string | undefined;
  if (variable) field = `$${variable[1]}`;
  else {
    const node = err.nodes?.[0];
    if (!node || !VALUE_KINDS.has(node.kind)) return null;
    field = literalField(err, node);
  }
  return new GraphQLError(err.message, {
    nodes: err.nodes,
    source: err.source,
    positions: err.positions,
    path: err.path,
    extensions: { ...err.extensions, code: 'BAD_USER_INPUT', ...(field && { field }) },
  });
}

/** The argument and input-field names leading to a literal, found in the document it came from. */
function literalField(err: GraphQLError, node: ASTNode): string | undefined {
  const start = node.loc?.start;
  if (start === undefined || !err.source) return undefined;
  let doc: DocumentNode;
  try {
    doc = parse(err.source, { maxTokens: 10_000 });
  } catch {
    return undefined;
  }
  let found: string | undefined;
  visit(doc, {
    enter(n, _key, parent, _path, ancestors) {
      if (n.kind !== node.kind || n.loc?.start !== start) return undefined;
      const names = [...ancestors, parent]
        .filter(
          (a): a is ArgumentNode | ObjectFieldNode =>
            !!a && !Array.isArray(a) && ((a as ASTNode).kind === Kind.ARGUMENT || (a as ASTNode).kind === Kind.OBJECT_FIELD),
        )
        .map((a) => a.name.value);
      found = names.length > 0 ? names.join('.') : undefined;
      return BREAK;
    },
  });
  return found;
}

export function makeMaskError(logger: Logger, metrics?: Pick<GatewayMetrics, 'graphqlErrors'>) {
  return (error: unknown, message: string): Error => {
    let masked = mask(error, message);
    const code = (masked as GraphQLError).extensions?.code;
    countError(typeof code === 'string' ? code : 'UNKNOWN');
    metrics?.graphqlErrors([typeof code === 'string' ? code : 'UNKNOWN']);
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
    if (original instanceof NotSupported) return located(original.message, { code: 'NOT_SUPPORTED' });
    if (original instanceof ServiceUnavailable) return located(original.message, { code: 'SERVICE_UNAVAILABLE' });
    if (original instanceof IndexUnavailableError) return located(original.message, { code: 'INDEX_UNAVAILABLE', argument: original.argument });
    if (original instanceof BadUserInput) {
      return located(original.message, { code: 'BAD_USER_INPUT', ...(original.field && { field: original.field }) });
    }
    // GraphQL's own errors (syntax, validation, coercion) and GraphQLErrors we raised deliberately;
    // a caller's value that does not fit its type is BAD_USER_INPUT, naming the input.
    if (graphqlError && isGraphQLError(original)) return typedInputError(graphqlError) ?? graphqlError;
    logger.error('unexpected error', { error: original, path: graphqlError?.path });
    return located(message, { code: 'INTERNAL_SERVER_ERROR' });
  }
}

/** Validation errors about a caller's values, typed like the rest (yoga returns them unmasked). */
export function inputErrorsPlugin(): Plugin {
  return {
    onValidate() {
      return ({ valid, result, setResult }) => {
        if (valid) return;
        setResult(result.map((e) => typedInputError(e) ?? e));
      };
    },
  };
}

// Execution compiled by graphql-jit (through @envelop/graphql-jit) for documents the gateway sees
// again: a document is compiled on its second execution and run compiled from then on. A document
// seen once (a one-off query, an attacker's stream of new documents) is never compiled, so it pays
// graphql-js's interpreter and not a compilation besides. Subscriptions stay on graphql-js.
//
// The compiled queries hang off the parsed document (a WeakMap), and yoga's parse cache holds at
// most its bound of documents (1,000, least recently used), so the compiled set has that bound too.
import { useGraphQlJit } from '@envelop/graphql-jit';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import {
  getVariableValues,
  GraphQLError,
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { operationOf } from '../context/operation.js';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.js';

export function jitPlugin(logger: Logger, compileAfter = 1): Plugin {
  const seen = new WeakMap<DocumentNode, number>();
  const compilable = new WeakMap<DocumentNode, boolean>();
  const jit = useGraphQlJit(
    {},
    {
      enableIf: ({ document, operationName, schema, variableValues }) => {
        // Queries only; and variables graphql-js refuses keep its answer (a 400 before execution).
        const op = operationOf(document, operationName ?? undefined);
        if (op?.operation !== 'query') return false;
        const n = (seen.get(document) ?? 0) + 1;
        if (
          n > compileAfter &&
          op.variableDefinitions?.length &&
          'errors' in getVariableValues(schema, op.variableDefinitions, variableValues ?? {}, { maxErrors: 1 })
        )
          return false;
        if (n <= compileAfter) {
          seen.set(document, n);
          return false;
        }
        // A document graphql-jit cannot compile (it validated, so this is rare) stays on graphql-js,
        // rather than answering with the compiler's errors. Checked once per document.
        let ok = compilable.get(document);
        if (ok === undefined) {
          const compiled = compileQuery(schema, document, operationName ?? undefined);
          ok = isCompiledQuery(compiled);
          compilable.set(document, ok);
          if (!ok)
            logger.warn('graphql-jit could not compile a document; it runs on graphql-js', {
              errors: (compiled as ExecutionResult).errors?.map((e) => e.message).slice(0, 3),
            });
        }
        return ok;
      },
    },
  );
  return {
    onExecute(payload) {
      jit.onExecute!(payload as never);
      return {
        onExecuteDone({ args, result, setResult }) {
          const r = result as ExecutionResult & { stringify?: unknown };
          if (typeof r.stringify !== 'function' || !r.errors?.length) return;
          // graphql-jit's errors carry locations but not the nodes (which the error mask builds its errors
          // from), and its result puts data first: made as graphql-js makes them.
          const op = operationOf(args.document, args.operationName ?? undefined);
          const errors = r.errors.map((e) => (e.nodes?.length || !e.path || !op ? e : located(e, args.document, op, e.path)));
          const { data, errors: _e, ...rest } = r;
          setResult({ errors, data, ...rest });
        },
      };
    },
  } as Plugin;
}

/** The error again, with the field nodes its path ends at (and so their locations), as graphql-js makes it. */
function located(e: GraphQLError, document: DocumentNode, op: OperationDefinitionNode, path: readonly (string | number)[]): GraphQLError {
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  const fieldsIn = (set: SelectionSetNode | undefined, key: string, out: FieldNode[] = []): FieldNode[] => {
    for (const s of set?.selections ?? []) {
      if (s.kind === Kind.FIELD) {
        if ((s.alias ?? s.name).value === key) out.push(s);
      } else if (s.kind === Kind.INLINE_FRAGMENT) fieldsIn(s.selectionSet, key, out);
      else fieldsIn(fragments.get(s.name.value)?.selectionSet, key, out);
    }
    return out;
  };
  let nodes: FieldNode[] = [];
  let sets: (SelectionSetNode | undefined)[] = [op.selectionSet];
  for (const segment of path) {
    if (typeof segment === 'number') continue;
    nodes = sets.flatMap((set) => fieldsIn(set, segment));
    sets = nodes.map((n) => n.selectionSet);
  }
  if (nodes.length === 0) return e;
  return new GraphQLError(e.message, { nodes, path, originalError: e.originalError, extensions: e.extensions });
}

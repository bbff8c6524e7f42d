// Limits on what one request may ask, each refused with a clear message and `extensions.code`:
// depth and aliases (validation), tokens (parsing), and an estimated cost (at execution, where
// variables are known): every field costs 1, times the page sizes of the lists it sits in.
import {
  GraphQLError,
  Kind,
  parse,
  type ASTVisitor,
  type DefinitionNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValueNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxCost: number;
}

export const DEFAULT_LIMITS: QueryLimits = { maxDepth: 12, maxAliases: 30, maxTokens: 3000, maxCost: 20_000 };

const limitError = (code: string, message: string) => new GraphQLError(message, { extensions: { code } });

function depthOf(set: SelectionSetNode | undefined, fragments: Record<string, FragmentDefinitionNode>, seen: Set<string>): number {
  if (!set) return 0;
  let max = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) max = Math.max(max, sel.selectionSet ? 1 + depthOf(sel.selectionSet, fragments, seen) : 1);
    else if (sel.kind === Kind.INLINE_FRAGMENT) max = Math.max(max, depthOf(sel.selectionSet, fragments, seen));
    else if (!seen.has(sel.name.value) && fragments[sel.name.value]) {
      max = Math.max(max, depthOf(fragments[sel.name.value]!.selectionSet, fragments, new Set([...seen, sel.name.value])));
    }
  }
  return max;
}

/** Validation: operations no deeper than maxDepth fields, with at most maxAliases aliases. */
export function depthAndAliasRule(limits: QueryLimits) {
  return (context: ValidationContext): ASTVisitor => {
    let aliases = 0;
    return {
      Field(node) {
        if (node.alias) aliases += 1;
      },
      Document: {
        leave(doc) {
          const fragments = Object.fromEntries(
            doc.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
          );
          for (const def of doc.definitions) {
            if (def.kind !== Kind.OPERATION_DEFINITION) continue;
            const depth = depthOf(def.selectionSet, fragments, new Set());
            if (depth > limits.maxDepth) {
              context.reportError(limitError('QUERY_TOO_DEEP', `The operation is ${depth} fields deep; the limit is ${limits.maxDepth}.`));
            }
          }
          if (aliases > limits.maxAliases) {
            context.reportError(limitError('TOO_MANY_ALIASES', `The document has ${aliases} aliases; the limit is ${limits.maxAliases}.`));
          }
        },
      },
    };
  };
}

function intArg(value: ValueNode | undefined, variables: Record<string, unknown>): number | undefined {
  if (!value) return undefined;
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.VARIABLE) {
    const v = variables[value.name.value];
    return typeof v === 'number' ? v : undefined;
  }
  return undefined;
}

function listArgLength(value: ValueNode | undefined, variables: Record<string, unknown>): number | undefined {
  if (!value) return undefined;
  if (value.kind === Kind.LIST) return value.values.length;
  if (value.kind === Kind.VARIABLE) {
    const v = variables[value.name.value];
    return Array.isArray(v) ? v.length : undefined;
  }
  return undefined;
}

/** Fields requested, times the sizes of the lists they are in (first/last, or the ids asked for). */
export function estimateCost(
  set: SelectionSetNode | undefined,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  seen: Set<string> = new Set(),
): number {
  if (!set) return 0;
  let cost = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      const arg = (name: string) => sel.arguments?.find((a) => a.name.value === name)?.value;
      const size = intArg(arg('first'), variables) ?? intArg(arg('last'), variables) ?? listArgLength(arg('ids'), variables);
      // A connection asked without a size returns its default page.
      const factor = size ?? (sel.name.value === 'disputes' ? 10 : 1);
      cost += 1 + Math.max(1, factor) * estimateCost(sel.selectionSet, fragments, variables, seen);
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      cost += estimateCost(sel.selectionSet, fragments, variables, seen);
    } else if (!seen.has(sel.name.value) && fragments[sel.name.value]) {
      cost += estimateCost(fragments[sel.name.value]!.selectionSet, fragments, variables, new Set([...seen, sel.name.value]));
    }
  }
  return cost;
}

/** Parsing with a token limit, depth and aliases at validation, and the cost once variables are known. */
export function limitsPlugin(limits: QueryLimits): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(depthAndAliasRule(limits));
    },
    onParse({ setParseFn }) {
      setParseFn((source, options) => {
        try {
          return parse(source, { ...options, maxTokens: limits.maxTokens });
        } catch (err) {
          if (err instanceof GraphQLError && err.message.includes('tokens')) {
            throw limitError('QUERY_TOO_LARGE', `The document has more than ${limits.maxTokens} tokens.`);
          }
          throw err;
        }
      });
    },
    onExecute({ args, setResultAndStopExecution }) {
      const definitions: readonly DefinitionNode[] = (args.document as DocumentNode).definitions;
      const fragments = Object.fromEntries(
        definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
      );
      const op = definitions.find(
        (d) => d.kind === Kind.OPERATION_DEFINITION && (args.operationName == null || d.name?.value === args.operationName),
      );
      if (!op || op.kind !== Kind.OPERATION_DEFINITION) return;
      const cost = estimateCost(op.selectionSet, fragments, (args.variableValues ?? {}) as Record<string, unknown>);
      if (cost > limits.maxCost) {
        setResultAndStopExecution({
          errors: [limitError('QUERY_TOO_COMPLEX', `The operation's estimated cost is ${cost}; the limit is ${limits.maxCost}. Ask for smaller pages or fewer fields.`)],
        });
      }
    },
  };
}

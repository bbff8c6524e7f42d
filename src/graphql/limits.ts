// Limits on what one request may ask, each refused with a clear message and `extensions.code`,
// before anything runs:
//   - tokens (parsing): QUERY_TOO_LARGE;
//   - depth, aliases and the expanded size (validation): QUERY_TOO_DEEP, TOO_MANY_ALIASES,
//     QUERY_TOO_LARGE. Fragments are measured once each (memoised), so the analysis is linear in
//     the document however often a fragment is spread, and a document whose expansion is huge is
//     refused from its measure, without ever being expanded;
//   - an estimated cost (execution, where variables are known): every field costs 1, times the
//     page sizes of the lists it sits in, and a read of the event history HISTORY_READ_COST more:
//     QUERY_TOO_COMPLEX;
//   - the upstream calls the request can cause, summed over every operation of a batch:
//     QUERY_TOO_EXPENSIVE, with the estimate and the budget in `extensions`.
import {
  getArgumentValues,
  getVariableValues,
  GraphQLError,
  Kind,
  parse,
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValueNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { operationOf } from '../context/operation.js';
import { maxListCalls, type ConnectionArgs } from '../gateway/connection.js';
import { indexFilterOf, indexOnlyArgument } from '../gateway/indexed.js';
import { accountKey } from '../domain/ids.js';
import type { GatewayContext } from './context.js';
import { auditRefusedMutation } from './audit.js';

export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxCost: number;
  /** Fields in an operation once every fragment spread is expanded. */
  maxExpandedFields: number;
  /** Upstream (provider) calls one HTTP request may cause, over all its operations. */
  maxUpstreamCalls: number;
}

export const DEFAULT_LIMITS: QueryLimits = {
  maxDepth: 12,
  maxAliases: 30,
  maxTokens: 3000,
  maxCost: 20_000,
  maxExpandedFields: 5_000,
  maxUpstreamCalls: 400,
};

const limitError = (code: string, message: string, extensions: Record<string, unknown> = {}) =>
  new GraphQLError(message, { extensions: { code, ...extensions } });

export const fragmentsOf = (doc: DocumentNode): Map<string, FragmentDefinitionNode> =>
  new Map(doc.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));

export interface Shape {
  /** Data fields deep, fragments expanded (introspection subtrees not counted). */
  depth: number;
  /** Fields once every fragment spread is expanded (a float: it may be astronomically large). */
  expandedFields: number;
  /** Fields deep inside `__schema`/`__type`. */
  introspectionDepth: number;
  /** Lists of the schema nested inside one another within introspection (types > fields > args). */
  introspectionLists: number;
}

const ZERO: Shape = { depth: 0, expandedFields: 0, introspectionDepth: 0, introspectionLists: 0 };

/** Introspection fields that return lists: nesting them multiplies the answer. */
const INTROSPECTION_LISTS = new Set(['types', 'fields', 'args', 'inputFields', 'interfaces', 'possibleTypes', 'enumValues', 'directives']);

/**
 * Measures selection sets with every fragment measured once per context (data or introspection).
 * `visits` counts the selections looked at: at most twice the number in the document, whatever
 * the spreads (the linear-work proof).
 *
 * Introspection has limits of its own, so the data limits never refuse a tool's introspection
 * query (GraphiQL's, graphql-js getIntrospectionQuery, Postman's, codegen's are 13-15 deep), while
 * a hostile one is still bounded: at most INTROSPECTION_MAX_DEPTH deep and at most
 * INTROSPECTION_MAX_LISTS schema lists inside one another (the standard query nests three).
 */
export class DocumentMeter {
  visits = 0;
  private readonly memo = new Map<string, Shape>();
  private readonly active = new Set<string>();

  constructor(private readonly fragments: Map<string, FragmentDefinitionNode>) {}

  measure(set: SelectionSetNode | undefined, introspection = false): Shape {
    const out = { ...ZERO };
    for (const sel of set?.selections ?? []) {
      this.visits += 1;
      let inner: Shape;
      if (sel.kind === Kind.FIELD) {
        const name = sel.name.value;
        const entering = !introspection && (name === '__schema' || name === '__type');
        const inside = introspection || entering;
        const below = sel.selectionSet ? this.measure(sel.selectionSet, inside) : ZERO;
        inner = inside
          ? {
              depth: below.depth,
              expandedFields: below.expandedFields + 1,
              introspectionDepth: below.introspectionDepth + 1,
              introspectionLists: below.introspectionLists + (INTROSPECTION_LISTS.has(name) ? 1 : 0),
            }
          : { ...below, depth: below.depth + 1, expandedFields: below.expandedFields + 1 };
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        inner = this.measure(sel.selectionSet, introspection);
      } else {
        inner = this.fragment(sel.name.value, introspection);
      }
      out.depth = Math.max(out.depth, inner.depth);
      out.introspectionDepth = Math.max(out.introspectionDepth, inner.introspectionDepth);
      out.introspectionLists = Math.max(out.introspectionLists, inner.introspectionLists);
      out.expandedFields += inner.expandedFields;
    }
    return out;
  }

  private fragment(name: string, introspection: boolean): Shape {
    const key = `${introspection ? 'i' : 'd'}:${name}`;
    const known = this.memo.get(key);
    if (known) return known;
    const def = this.fragments.get(name);
    // Unknown fragments and cycles are validation errors of their own; they add nothing here.
    if (!def || this.active.has(key)) return ZERO;
    this.active.add(key);
    const shape = this.measure(def.selectionSet, introspection);
    this.active.delete(key);
    this.memo.set(key, shape);
    return shape;
  }
}

export const INTROSPECTION_MAX_DEPTH = 30;
export const INTROSPECTION_MAX_LISTS = 3;

/** Validation: depth, aliases and expanded size of every operation. */
export function depthAndAliasRule(limits: QueryLimits) {
  return (context: ValidationContext): ASTVisitor => {
    let aliases = 0;
    return {
      Field(node) {
        if (node.alias) aliases += 1;
      },
      Document: {
        leave(doc) {
          const meter = new DocumentMeter(fragmentsOf(doc));
          for (const def of doc.definitions) {
            if (def.kind !== Kind.OPERATION_DEFINITION) continue;
            const { depth, expandedFields, introspectionDepth, introspectionLists } = meter.measure(def.selectionSet);
            if (expandedFields > limits.maxExpandedFields) {
              const size = expandedFields > 1e15 ? expandedFields.toExponential(2) : String(expandedFields);
              context.reportError(
                limitError(
                  'QUERY_TOO_LARGE',
                  `The operation expands to ${size} fields once its fragments are spread; the limit is ${limits.maxExpandedFields}.`,
                ),
              );
            } else if (depth > limits.maxDepth) {
              context.reportError(limitError('QUERY_TOO_DEEP', `The operation is ${depth} fields deep; the limit is ${limits.maxDepth}.`));
            } else if (introspectionDepth > INTROSPECTION_MAX_DEPTH || introspectionLists > INTROSPECTION_MAX_LISTS) {
              context.reportError(
                limitError(
                  'QUERY_TOO_DEEP',
                  `The introspection is ${introspectionDepth} fields deep with ${introspectionLists} lists nested; the limits are ${INTROSPECTION_MAX_DEPTH} and ${INTROSPECTION_MAX_LISTS} (types > fields > args).`,
                ),
              );
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

/** What a read of the event history (`disputeEvents`) costs beyond its fields: it decodes up to a page per account it may see. */
export const HISTORY_READ_COST = 100;

/** Connections that answer a default page (of 10) when asked without a size. */
const PAGED = new Set(['disputes', 'disputeEvents']);

/**
 * Fields requested, times the sizes of the lists they are in (first/last, or the ids asked for).
 * A fragment's cost does not depend on where it is spread, so each is computed once.
 */
export function estimateCost(
  set: SelectionSetNode | undefined,
  fragments: Map<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  memo: Map<string, number> = new Map(),
  active: Set<string> = new Set(),
): number {
  if (!set) return 0;
  let cost = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      const arg = (name: string) => sel.arguments?.find((a) => a.name.value === name)?.value;
      const size = intArg(arg('first'), variables) ?? intArg(arg('last'), variables) ?? listArgLength(arg('ids'), variables);
      // A connection asked without a size returns its default page.
      const factor = size ?? (PAGED.has(sel.name.value) ? 10 : 1);
      if (sel.name.value === 'disputeEvents') cost += HISTORY_READ_COST;
      cost += 1 + Math.max(1, factor) * estimateCost(sel.selectionSet, fragments, variables, memo, active);
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      cost += estimateCost(sel.selectionSet, fragments, variables, memo, active);
    } else {
      const name = sel.name.value;
      let known = memo.get(name);
      if (known === undefined && fragments.has(name) && !active.has(name)) {
        active.add(name);
        known = estimateCost(fragments.get(name)!.selectionSet, fragments, variables, memo, active);
        active.delete(name);
        memo.set(name, known);
      }
      cost += known ?? 0;
    }
  }
  return cost;
}

/** Dispute fields a summary list record lacks: asking them costs a retrieve per dispute. */
const DETAIL_FIELDS = new Set(['balanceTransactions', 'paymentMethodDetails', 'networkReasonCode']);

/** Whether a selection (fragments followed, each once) asks any of `names`. */
function selects(set: SelectionSetNode | undefined, fragments: Map<string, FragmentDefinitionNode>, names: Set<string>, seen = new Set<string>()): boolean {
  for (const sel of set?.selections ?? []) {
    if (sel.kind === Kind.FIELD) {
      if (names.has(sel.name.value) || selects(sel.selectionSet, fragments, names, seen)) return true;
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      if (selects(sel.selectionSet, fragments, names, seen)) return true;
    } else if (!seen.has(sel.name.value)) {
      seen.add(sel.name.value);
      if (selects(fragments.get(sel.name.value)?.selectionSet, fragments, names, seen)) return true;
    }
  }
  return false;
}

/** An event's `dispute`: read from its provider when the event was stored without its state. */
const EVENT_DISPUTE = new Set(['dispute']);

/** Upstream calls at most, for a mutation field: read, act, read back after a refusal. */
const MUTATION_CALLS = 3;

/**
 * The most upstream calls an operation can cause: each `disputes` connection per its providers and
 * arguments (see maxListCalls), each distinct id of `nodes`, one per single lookup, an event page's
 * `first` where its events' disputes are asked, and each mutation field's few. Root fragments are counted once each and multiplied where spread.
 */
export function estimateUpstreamCalls(
  schema: GraphQLSchema,
  ctx: Pick<GatewayContext, 'clients' | 'merge' | 'index'>,
  op: OperationDefinitionNode,
  fragments: Map<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
): number {
  const root = op.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  const memo = new Map<string, number>();
  const field = (node: FieldNode): number => {
    const name = node.name.value;
    if (op.operation === 'mutation') return name.startsWith('__') ? 0 : MUTATION_CALLS;
    const def = root?.getFields()[name];
    if (!def) return 0;
    let args: Record<string, unknown>;
    try {
      args = getArgumentValues(def, node, variables);
    } catch {
      return 1; // arguments that do not coerce fail the field before any call
    }
    switch (name) {
      case 'disputes': {
        const detail = selects(node.selectionSet, fragments, DETAIL_FIELDS);
        // From the index: no list call; summaries (Flex) may still be read one by one for detail fields.
        if (servedByIndex(ctx, args as ConnectionArgs)) return detail ? ((args.first ?? args.last ?? 10) as number) : 0;
        return maxListCalls(ctx.clients, args as ConnectionArgs, ctx.merge, detail);
      }
      case 'disputeEvents':
        // Every event of the page may need its dispute read (those stored without their state).
        return selects(node.selectionSet, fragments, EVENT_DISPUTE) ? ((args.first as number | undefined) ?? 10) : 0;
      case 'nodes':
        return new Set(args.ids as string[]).size;
      case 'node':
      case 'dispute':
      case 'disputeByProviderId':
      case 'syncDispute':
        return 1;
      default:
        return 0;
    }
  };
  const count = (set: SelectionSetNode | undefined, active: Set<string>): number => {
    let n = 0;
    for (const sel of set?.selections ?? []) {
      if (sel.kind === Kind.FIELD) n += field(sel);
      else if (sel.kind === Kind.INLINE_FRAGMENT) n += count(sel.selectionSet, active);
      else {
        const name = sel.name.value;
        if (!memo.has(name) && fragments.has(name) && !active.has(name)) {
          active.add(name);
          memo.set(name, count(fragments.get(name)!.selectionSet, active));
          active.delete(name);
        }
        n += memo.get(name) ?? 0;
      }
    }
    return n;
  };
  return count(op.selectionSet, new Set());
}

/** Whether the index will answer this `disputes` field (an index-only argument with the index off answers nothing). */
function servedByIndex(ctx: Pick<GatewayContext, 'clients' | 'index'>, args: ConnectionArgs): boolean {
  const only = indexOnlyArgument(args) !== null;
  if (!ctx.index) return only;
  try {
    return only || ctx.index.sync.live(indexFilterOf(ctx.clients, args.filter).accounts.map((a) => accountKey(a.provider, a.account)));
  } catch {
    return false; // a filter the field will refuse: estimated as the live path would be
  }
}

/** graphql-js's parse, stopped at `maxTokens` with QUERY_TOO_LARGE. */
function parseWithin(maxTokens: number): typeof parse {
  return (source, options) => {
    try {
      return parse(source, { ...options, maxTokens });
    } catch (err) {
      if (err instanceof GraphQLError && err.message.includes('tokens')) throw limitError('QUERY_TOO_LARGE', `The document has more than ${maxTokens} tokens.`);
      throw err;
    }
  };
}

/**
 * The operation's estimated cost against `maxCost`, then its estimated provider calls against what
 * is left of the request's budget (taken from it when it fits). Null: it may run.
 */
function overLimits(
  limits: QueryLimits,
  schema: GraphQLSchema,
  ctx: GatewayContext,
  op: OperationDefinitionNode,
  fragments: Map<string, FragmentDefinitionNode>,
  raw: Record<string, unknown>,
): GraphQLError | null {
  const cost = estimateCost(op.selectionSet, fragments, raw);
  if (cost > limits.maxCost) {
    return limitError('QUERY_TOO_COMPLEX', `The operation's estimated cost is ${cost}; the limit is ${limits.maxCost}. Ask for smaller pages or fewer fields.`);
  }
  const coerced = getVariableValues(schema, op.variableDefinitions ?? [], raw, { maxErrors: 1 });
  // Variables that do not coerce fail the operation without a call; graphql-js words that.
  if (!('coerced' in coerced) || coerced.coerced === undefined || !ctx.upstreamBudget) return null;
  const estimate = estimateUpstreamCalls(schema, ctx, op, fragments, coerced.coerced);
  const budget = ctx.upstreamBudget;
  if (estimate > budget.remaining) {
    return limitError(
      'QUERY_TOO_EXPENSIVE',
      `The operation could cause ${estimate} provider calls; this request has ${budget.remaining} of its ${budget.limit} left. Ask for fewer or smaller connections, fewer ids, or a narrower filter.`,
      { estimatedUpstreamCalls: estimate, upstreamCallBudget: budget.limit, upstreamCallsRemaining: budget.remaining },
    );
  }
  budget.remaining -= estimate;
  return null;
}

/** Parsing with a token limit, depth and size at validation, cost and upstream calls at execution. */
export function limitsPlugin(limits: QueryLimits): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(depthAndAliasRule(limits));
    },
    onParse({ setParseFn }) {
      setParseFn(parseWithin(limits.maxTokens));
    },
    onExecute({ args, setResultAndStopExecution }) {
      const doc = args.document as DocumentNode;
      const op = operationOf(doc, args.operationName);
      if (!op) return;
      const fragments = fragmentsOf(doc);
      const raw = (args.variableValues ?? {}) as Record<string, unknown>;
      const ctx = args.contextValue as unknown as GatewayContext;
      const refuse = (error: GraphQLError) => {
        if (op.operation === 'mutation') auditRefusedMutation(ctx, op, fragments, raw, String(error.extensions.code));
        setResultAndStopExecution({ errors: [error] });
      };
      const refusal = overLimits(limits, args.schema, ctx, op, fragments, raw);
      if (refusal) refuse(refusal);
    },
    // A subscription's selection is held to the same cost limit when it starts; each event it
    // delivers then resolves at most the event's dispute (a read, where the event carries none).
    onSubscribe({ args, setResultAndStopExecution }) {
      const doc = args.document as DocumentNode;
      const op = operationOf(doc, args.operationName);
      if (!op) return;
      const cost = estimateCost(op.selectionSet, fragmentsOf(doc), (args.variableValues ?? {}) as Record<string, unknown>);
      if (cost > limits.maxCost) {
        setResultAndStopExecution({
          errors: [limitError('QUERY_TOO_COMPLEX', `The operation's estimated cost is ${cost}; the limit is ${limits.maxCost}. Ask for fewer fields.`)],
        });
      }
    },
  };
}

// Who may run what, checked once per operation, for every way an operation can arrive (the
// direct path, yoga's GET and POST, batches, subscriptions): nothing runs for a request that
// reached GraphQL without a valid key while keys are required; a query needs disputes:read,
// closeDispute disputes:write, the evidence mutations evidence:write; and introspection can be
// switched off for production.
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type DocumentNode,
  type ExecutionArgs,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from './context.js';
import { auditRefusedMutation } from './audit.js';
import { operationOf } from '../context/operation.js';
import { fragmentsOf } from './limits.js';
import { noteOperation } from '../context/request-scope.js';

/** Refuses __schema and __type (what introspection reads); __typename stays allowed. */
function introspectionOff(context: ValidationContext): ASTVisitor {
  return {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        context.reportError(
          new GraphQLError('Introspection is switched off on this gateway.', { nodes: node, extensions: { code: 'INTROSPECTION_DISABLED' } }),
        );
      }
    },
  };
}

/** The scope each mutation needs: closing moves money (disputes:write); evidence has its own. */
const MUTATION_SCOPES: Record<string, 'disputes:read' | 'disputes:write' | 'evidence:write'> = {
  closeDispute: 'disputes:write',
  // A forced read: it changes nothing at the provider.
  syncDispute: 'disputes:read',
  updateDisputeEvidence: 'evidence:write',
  submitDisputeEvidence: 'evidence:write',
  uploadDisputeEvidenceFile: 'evidence:write',
};

/** The first scope a mutation's root fields need that the caller lacks, or null. */
function missingForMutation(caller: GatewayContext['caller'], op: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>): string | null {
  const has = (scope: string) => (scope === 'evidence:write' ? caller.canSubmitEvidence : scope === 'disputes:read' ? caller.canRead : caller.canWrite);
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode | undefined): string | null => {
    for (const sel of set?.selections ?? []) {
      let missing: string | null = null;
      if (sel.kind === Kind.INLINE_FRAGMENT) missing = visit(sel.selectionSet);
      else if (sel.kind === Kind.FRAGMENT_SPREAD) {
        if (seen.has(sel.name.value)) continue;
        seen.add(sel.name.value);
        missing = visit(fragments.get(sel.name.value)?.selectionSet);
      } else if (!sel.name.value.startsWith('__')) {
        const scope = MUTATION_SCOPES[sel.name.value] ?? 'disputes:write';
        if (!has(scope)) missing = scope;
      }
      if (missing) return missing;
    }
    return null;
  };
  return visit(op.selectionSet);
}

/** The refusal for this operation, or null when the caller may run it. */
function refusal(args: ExecutionArgs): GraphQLError | null {
  const ctx = args.contextValue as GatewayContext;
  const caller = ctx?.caller;
  if (!caller?.authenticated) {
    return new GraphQLError('An API key is required: send Authorization: Bearer <key>.', { extensions: { code: 'UNAUTHENTICATED' } });
  }
  const doc = args.document as DocumentNode;
  const op = operationOf(doc, args.operationName);
  if (!op) return null;
  noteOperation(op.name?.value);
  const missing = op.operation === 'mutation' ? missingForMutation(caller, op, fragmentsOf(doc)) : caller.canRead ? null : 'disputes:read';
  if (missing === null) return null;
  const needs = missing;
  // A refused mutation is audited too: who tried what on which dispute, and that it was refused.
  if (op.operation === 'mutation') auditRefusedMutation(ctx, op, fragmentsOf(doc), (args.variableValues ?? {}) as Record<string, unknown>, 'FORBIDDEN');
  return new GraphQLError(`The API key "${caller.name}" lacks the ${needs} scope.`, { extensions: { code: 'FORBIDDEN' } });
}

export function accessPlugin(opts: { introspection: boolean }): Plugin<GatewayContext> {
  return {
    onValidate({ addValidationRule }) {
      if (!opts.introspection) addValidationRule(introspectionOff);
    },
    onExecute({ args, setResultAndStopExecution }) {
      const refused = refusal(args);
      if (refused) setResultAndStopExecution({ errors: [refused] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = refusal(args as ExecutionArgs);
      if (refused) setResultAndStopExecution({ errors: [refused] });
    },
  };
}

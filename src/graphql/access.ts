// Who may run what, checked once per operation, for every way an operation can arrive (the
// direct path, yoga's GET and POST, batches, subscriptions): nothing runs for a request that
// reached GraphQL without a valid key while keys are required; a query needs disputes:read, a
// mutation disputes:write; and introspection can be switched off for production.
import { GraphQLError, Kind, type ASTVisitor, type DocumentNode, type ExecutionArgs, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from './context.js';
import { auditRefusedMutation } from './audit.js';
import { fragmentsOf, operationOf } from './limits.js';
import { noteOperation } from '../http/request-scope.js';

/** Refuses __schema and __type (what introspection reads); __typename stays allowed. */
function introspectionOff(context: ValidationContext): ASTVisitor {
  return {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        context.reportError(new GraphQLError('Introspection is switched off on this gateway.', { nodes: node, extensions: { code: 'INTROSPECTION_DISABLED' } }));
      }
    },
  };
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
  const needs = op.operation === 'mutation' ? 'disputes:write' : 'disputes:read';
  const allowed = op.operation === 'mutation' ? caller.canWrite : caller.canRead;
  if (allowed) return null;
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

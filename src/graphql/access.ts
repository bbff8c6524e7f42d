// What a caller may do, checked once per operation: a query needs disputes:read, a mutation
// disputes:write; and introspection can be switched off for production.
import { GraphQLError, Kind, type ASTVisitor, type DefinitionNode, type DocumentNode, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from './context.js';

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

export function accessPlugin(opts: { introspection: boolean }): Plugin<GatewayContext> {
  return {
    onValidate({ addValidationRule }) {
      if (!opts.introspection) addValidationRule(introspectionOff);
    },
    onExecute({ args, setResultAndStopExecution }) {
      const { caller } = args.contextValue as GatewayContext;
      const definitions: readonly DefinitionNode[] = (args.document as DocumentNode).definitions;
      const op = definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION && (args.operationName == null || d.name?.value === args.operationName));
      if (!op || op.kind !== Kind.OPERATION_DEFINITION) return;
      const needs = op.operation === 'mutation' ? 'disputes:write' : 'disputes:read';
      const allowed = op.operation === 'mutation' ? caller.canWrite : caller.canRead;
      if (!allowed) {
        // A refused mutation is audited too: who tried what, and that it was refused.
        if (op.operation === 'mutation') {
          const ctx = args.contextValue as GatewayContext;
          ctx.logger.info('audit', {
            audit: op.selectionSet.selections.map((s) => (s.kind === Kind.FIELD ? s.name.value : '?')).join(','),
            key: caller.name,
            result: 'FORBIDDEN',
            variables: Object.keys(args.variableValues ?? {}),
            time: new Date().toISOString(),
          });
        }
        setResultAndStopExecution({
          errors: [new GraphQLError(`The API key "${caller.name}" lacks the ${needs} scope.`, { extensions: { code: 'FORBIDDEN' } })],
        });
      }
    },
  };
}

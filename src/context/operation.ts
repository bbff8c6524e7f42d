// Which operation of a GraphQL document a request runs: what limits, access, metrics, tracing and
// the response cache all ask first. Kept apart from any of them, so each can ask it.
import { Kind, type DocumentNode, type OperationDefinitionNode } from 'graphql';

/** The operation named `name`, or the only one when no name is given (undefined when that is ambiguous). */
export function operationOf(doc: DocumentNode, name: string | null | undefined): OperationDefinitionNode | undefined {
  const ops = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (name == null) return ops.length === 1 ? ops[0] : undefined;
  return ops.find((d) => d.name?.value === name);
}

// The objects behind GraphQL types that are not domain objects themselves (codegen's mappers).
import type { Dispute } from '../domain/dispute.js';
import type { DisputeEvent } from '../domain/event.js';

/** What `Node` resolves to: a dispute or an event. */
export type NodeModel = Dispute | DisputeEvent;

export interface DisputeEventEdgeModel {
  cursor: string;
  node: DisputeEvent;
}

export interface DisputeEventConnectionModel {
  edges: DisputeEventEdgeModel[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

// Thin resolvers: read arguments, call a loader or a gateway service from the context, return
// domain objects. No HTTP and no provider vocabulary here.
import { isClosable, type Dispute } from '../domain/dispute.js';
import { BadUserInput } from '../domain/errors.js';
import { decodeDisputeId, encodeDisputeId } from '../domain/ids.js';
import { closeDispute } from '../gateway/close.js';
import { listDisputes } from '../gateway/connection.js';
import { disputeRef } from '../gateway/loaders.js';
import type { Resolvers } from '../generated/resolvers-types.js';
import type { GatewayContext } from './context.js';
import { DateTime, JSONScalar } from './scalars.js';

const PROVIDER_ID = /^[A-Za-z0-9_\-.]{1,255}$/;

const byGlobalId = async (ctx: GatewayContext, id: string, field = "id") => ctx.loaders.dispute.load(decodeDisputeId(id, field));

export const resolvers: Resolvers = {
  DateTime,
  JSON: JSONScalar,
  Node: {
    __resolveType: () => 'Dispute',
  },
  Query: {
    node: (_, { id }, ctx) => byGlobalId(ctx, id),
    // Each id resolves on its own: one bad id is an error at its index, not a failed list.
    // (graphql-js awaits each list item; the generated type does not model a list of promises.)
    nodes: (_, { ids }, ctx) => ids.map((id, i) => byGlobalId(ctx, id, `ids[${i}]`)) as unknown as Dispute[],
    dispute: (_, { id }, ctx) => byGlobalId(ctx, id),
    disputeByProviderId: (_, { provider, providerDisputeId }, ctx) => {
      if (!PROVIDER_ID.test(providerDisputeId)) throw new BadUserInput('providerDisputeId is not a valid provider id', 'providerDisputeId');
      const client = ctx.clients.get(provider);
      if (!client) throw new BadUserInput(`provider ${provider} is not configured on this gateway`, 'provider');
      return ctx.loaders.dispute.load({ provider, account: client.account, providerDisputeId });
    },
    disputes: (_, args, ctx) => listDisputes(ctx.clients, ctx.loaders, args),
  },
  Mutation: {
    closeDispute: (_, { input }, ctx) => closeDispute(ctx, input),
  },
  Dispute: {
    id: (d) => encodeDisputeId(disputeRef(d)),
    closable: (d) => isClosable(d.status),
  },
  DisputeConnection: {
    nodes: (c) => c.edges.map((e) => e.node),
  },
};

// The index's own fields: its state per account, and a forced sync of one dispute.
import { BadUserInput } from '../domain/errors.js';
import { accountKey, decodeDisputeId } from '../domain/ids.js';
import { disputeRef } from '../gateway/loaders.js';
import type { GatewayContext } from './context.js';
import type { Resolvers } from './generated/resolvers-types.js';

export const indexResolvers: Resolvers = {
  Query: {
    // One entry per configured account the key may read (ctx.clients is already narrowed to them).
    indexStatus: async (_, __, ctx) => {
      const mine = new Set(ctx.clients.keys());
      if (!ctx.index) {
        return [...ctx.clients.values()].map((c) => ({
          provider: c.name,
          account: c.account,
          state: 'OFF' as const,
          disputes: 0,
          lastSyncedAt: null,
          lagSeconds: null,
          lastError: null,
          backfill: null,
        }));
      }
      return (await ctx.index.sync.status()).filter((s) => mine.has(accountKey(s.provider, s.account)));
    },
  },
  Mutation: {
    syncDispute: async (_, { input }, ctx: GatewayContext) => {
      let ref;
      try {
        ref = decodeDisputeId(input.id, 'id');
      } catch (err) {
        if (err instanceof BadUserInput) return { dispute: null, userErrors: [{ code: 'BAD_USER_INPUT', message: err.message, field: ['input', 'id'] }] };
        throw err;
      }
      // Read now, whatever this request loaded before: the loader's read refreshes the index row.
      ctx.loaders.dispute.clear(ref);
      const dispute = await ctx.loaders.dispute.load(ref);
      if (!dispute) return { dispute: null, userErrors: [{ code: 'NOT_FOUND', message: 'No dispute exists with this id.', field: ['input', 'id'] }] };
      if (ctx.index) {
        const at = new Date();
        await ctx.index.sync.observe([{ dispute, observedAt: at, source: 'read' }]);
        ctx.indexed?.load.clear(disputeRef(dispute));
      }
      return { dispute, userErrors: [] };
    },
  },
};

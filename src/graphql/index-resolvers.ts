// The index's own fields: its state per account, its aggregates, and a forced sync of one dispute.
import { responsePathAsArray as pathToArray } from 'graphql';
import { BadUserInput, IndexUnavailableError } from '../domain/errors.js';
import { statsFromIndex } from '../gateway/stats.js';
import { isStoreFailure } from '../index/store.js';
import { SafeInt } from './scalars.js';
import { accountKey, decodeDisputeId } from '../domain/ids.js';
import { disputeRef } from '../gateway/loaders.js';
import type { GatewayContext } from './context.js';
import type { Resolvers } from './generated/resolvers-types.js';

export const indexResolvers: Resolvers = {
  SafeInt,
  Query: {
    // From the index's store alone: INDEX_UNAVAILABLE without it. Its freshness goes under extensions.index, as a page's does.
    disputeStats: async (_, args, ctx, info) => {
      const index = ctx.index;
      if (!index) throw new IndexUnavailableError('disputeStats', 'off');
      try {
        // Due counts to the second: the same question within a second is one store query (index/cached.ts).
        const r = await statsFromIndex({ clients: ctx.clients, cursorKeys: ctx.cursorKeys, index }, args, Math.floor(index.now() / 1000) * 1000);
        ctx.reports.index.push({ path: pathToArray(info.path), asOf: r.asOf, lagSeconds: r.lagSeconds, complete: r.complete });
        return { groups: r.groups, asOf: r.asOf };
      } catch (err) {
        if (!isStoreFailure(err)) throw err;
        ctx.logger.warn('index: disputeStats could not be read from the store', { error: (err as Error).message });
        throw new IndexUnavailableError('disputeStats', 'unreachable');
      }
    },
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

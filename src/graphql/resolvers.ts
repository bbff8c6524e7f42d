// Thin resolvers: read arguments, call a loader or a gateway service from the context, return
// domain objects. No HTTP and no provider vocabulary here.
import type { Dispute } from '../domain/dispute.js';
import { providerDisplayName } from '../providers/http.js';
import type { DisputeProviderClient, FilterField } from '../providers/types.js';
import { submitDisputeEvidence, updateDisputeEvidence, uploadDisputeEvidenceFile } from '../gateway/evidence.js';
import { BadUserInput, IndexUnavailableError } from '../domain/errors.js';
import { accountKey, ACCOUNT_NAME, decodeDisputeId, encodeDisputeId, globalIdType, isProviderId } from '../domain/ids.js';
import type { NodeModel } from './models.js';
import { eventById } from './event-resolvers.js';
import { closeDispute } from '../gateway/close.js';
import { AllProvidersFailed, listDisputes, type ConnectionArgs } from '../gateway/connection.js';
import { indexFilterOf, indexOnlyArgument, listFromIndex } from '../gateway/indexed.js';
import { isStoreFailure } from '../index/store.js';
import { disputeRef } from '../gateway/loaders.js';
import type { DisputeFilterField, Resolvers } from './generated/resolvers-types.js';
import type { GatewayContext } from './context.js';
import { DateTime, JSONScalar, Upload } from './scalars.js';
import { providerGraphQLError } from './errors.js';
import { audited } from './audit.js';
import { responsePathAsArray as pathToArray } from 'graphql';

/** The most ids one `nodes` call takes (the largest page size). */
export const MAX_NODES = 100;

const FILTER_FIELD: Record<FilterField, DisputeFilterField> = { charge: 'CHARGE', paymentIntent: 'PAYMENT_INTENT', created: 'CREATED', status: 'STATUS' };
/** The index applies every filter, to every provider's disputes alike. */
const INDEX_FILTERS: DisputeFilterField[] = ['STATUS', 'CURRENCY', 'CHARGE', 'PAYMENT_INTENT', 'CREATED', 'DUE_BY', 'AMOUNT', 'REASON', 'SEARCH'];

/** The full record of a dispute: itself when it is one, else the retrieved one (falling back to it). */
async function full(d: Dispute, ctx: GatewayContext): Promise<Dispute> {
  if (d.detail === 'full') return d;
  return (await ctx.loaders.dispute.load(disputeRef(d))) ?? d;
}

/** What a provider accepts as evidence; a provider without evidence support accepts nothing. */
function evidenceCapabilities(c: DisputeProviderClient) {
  const rules = c.updateEvidence ? c.capabilities.evidence : undefined;
  return {
    fields: [...(rules?.fields ?? [])],
    staging: rules?.staging ?? false,
    resubmission: rules?.resubmission ?? false,
    fileUpload: c.uploadFile !== undefined,
    maxFileBytes: rules?.maxFileBytes ?? null,
    fileContentTypes: [...(rules?.fileContentTypes ?? [])],
    maxTextCharacters: rules?.maxTextCharacters ?? null,
    fieldLimits: Object.entries(rules?.fieldMaxCharacters ?? {}).map(([field, maxCharacters]) => ({ field, maxCharacters: maxCharacters! })),
    enhancedPrograms: [...(rules?.enhancedPrograms ?? [])],
    metadata: rules?.metadata !== undefined,
  };
}

/** A dispute, or (for `node`/`nodes`) an event, by its global id. */
const byGlobalId = async (ctx: GatewayContext, id: string, field = 'id') => ctx.loaders.dispute.load(decodeDisputeId(id, field));
const nodeById = async (ctx: GatewayContext, id: string, field = 'id'): Promise<NodeModel | null> =>
  globalIdType(id) === 'DisputeEvent' ? eventById(ctx, id, field) : byGlobalId(ctx, id, field);

/**
 * The page from the index when it may answer: always for an index-only argument (from what is
 * indexed, `complete: false` while an account backfills), and for every page once each account
 * asked is LIVE. Null: the live path answers. An index-only argument with the index off or its
 * store unreachable is INDEX_UNAVAILABLE, naming the argument.
 */
async function pageFromIndex(ctx: GatewayContext, args: ConnectionArgs) {
  const only = indexOnlyArgument(args);
  const index = ctx.index;
  if (!index) {
    if (only) throw new IndexUnavailableError(only, 'off');
    return null;
  }
  const asked = indexFilterOf(ctx.clients, args.filter).accounts.map((a) => accountKey(a.provider, a.account));
  if (!only && !index.sync.live(asked)) return null;
  try {
    return await listFromIndex({ clients: ctx.clients, cursorKeys: ctx.cursorKeys, index }, args);
  } catch (err) {
    if (!isStoreFailure(err)) throw err;
    ctx.logger.warn('index: a page could not be read from the store', { error: (err as Error).message });
    if (only) throw new IndexUnavailableError(only, 'unreachable');
    return null;
  }
}

export const resolvers: Resolvers = {
  DateTime,
  JSON: JSONScalar,
  Upload,
  Node: {
    __resolveType: (n) => ('seq' in n ? 'DisputeEvent' : 'Dispute'),
  },
  Query: {
    providers: (_, __, ctx) =>
      [...ctx.clients.values()].map((c) => ({
        provider: c.name,
        displayName: providerDisplayName(c.name),
        account: c.account,
        capabilities: {
          list: true,
          retrieve: c.retrieve !== undefined,
          close: c.close !== undefined,
          filters: c.capabilities.filters.map((f) => FILTER_FIELD[f]),
          indexFilters: ctx.index ? INDEX_FILTERS : [],
          pagination: c.capabilities.pagination === 'offset' ? 'OFFSET' : 'ID_CURSOR',
          evidence: evidenceCapabilities(c),
        },
        health: c.health(),
        apiVersion: c.apiVersion ?? null,
      })),
    node: (_, { id }, ctx) => nodeById(ctx, id),
    // Each id resolves on its own: one bad id is an error at its index, not a failed list.
    // (graphql-js awaits each list item; the generated type does not model a list of promises.)
    nodes: (_, { ids }, ctx) => {
      // Bounded like a page, so one request cannot ask for thousands of errors or lookups.
      if (ids.length > MAX_NODES) throw new BadUserInput(`nodes takes at most ${MAX_NODES} ids, got ${ids.length}`, 'ids');
      return ids.map((id, i) => nodeById(ctx, id, `ids[${i}]`)) as unknown as NodeModel[];
    },
    dispute: (_, { id }, ctx) => byGlobalId(ctx, id),
    disputeByProviderId: (_, { provider, providerDisputeId, account }, ctx) => {
      if (!isProviderId(providerDisputeId)) throw new BadUserInput('providerDisputeId is not a valid provider id', 'providerDisputeId');
      if (account != null) {
        // An account this caller cannot reach (or that is not configured) has no disputes for it.
        if (!ACCOUNT_NAME.test(account)) throw new BadUserInput('account must match [a-z0-9_-]{1,32}', 'account');
        return ctx.clients.has(accountKey(provider, account)) ? ctx.loaders.dispute.load({ provider, account, providerDisputeId }) : null;
      }
      const accounts = [...ctx.clients.values()].filter((c) => c.name === provider);
      if (accounts.length > 1) {
        throw new BadUserInput(
          `${providerDisplayName(provider)} has several accounts here (${accounts.map((c) => c.account).join(', ')}): name one with account`,
          'account',
        );
      }
      return accounts[0] ? ctx.loaders.dispute.load({ provider, account: accounts[0].account, providerDisputeId }) : null;
    },
    disputes: async (_, args, ctx, info) => {
      const path = pathToArray(info.path);
      const fromIndex = await pageFromIndex(ctx, args);
      if (fromIndex) {
        ctx.reports.index.push({ path, ...fromIndex.freshness });
        for (const [d, at] of fromIndex.syncedAt) ctx.indexed?.syncedAt.set(d, at);
        return fromIndex.connection;
      }
      let result;
      try {
        result = await listDisputes(ctx, args);
      } catch (err) {
        // No page at all: the field fails with the first provider's error, the others beside it.
        if (!(err instanceof AllProvidersFailed)) throw err;
        for (const failure of err.failures.slice(1)) ctx.reports.errors.push(providerGraphQLError(failure, ctx.logger, { nodes: info.fieldNodes, path }));
        throw err.failures[0];
      }
      // A failed provider does not fail the page: its error is reported beside the data.
      for (const failure of result.failures) ctx.reports.errors.push(providerGraphQLError(failure, ctx.logger, { nodes: info.fieldNodes, path }));
      for (const s of result.scanLimited) ctx.reports.scanLimited.push({ path, ...s });
      return result.connection;
    },
  },
  Mutation: {
    closeDispute: (_, { input }, ctx) => audited(ctx, 'closeDispute', input, () => closeDispute(ctx, input)),
    updateDisputeEvidence: (_, { input }, ctx) =>
      audited(
        ctx,
        'updateDisputeEvidence',
        // Field names only: evidence contents and metadata values never reach the audit line.
        { id: input.id, idempotencyKey: input.idempotencyKey, fields: Object.keys(input.evidence) },
        () => updateDisputeEvidence(ctx, { ...input, submit: input.submit ?? false }),
        input.validateOnly ? 'VALIDATED' : input.submit ? 'SUBMITTED' : 'STAGED',
      ),
    uploadDisputeEvidenceFile: (_, { input }, ctx) =>
      audited(
        ctx,
        'uploadDisputeEvidenceFile',
        { id: input.disputeId, idempotencyKey: input.idempotencyKey },
        () => uploadDisputeEvidenceFile(ctx, input),
        'UPLOADED',
      ),
    submitDisputeEvidence: (_, { input }, ctx) => audited(ctx, 'submitDisputeEvidence', input, () => submitDisputeEvidence(ctx, input), 'SUBMITTED'),
  },
  Dispute: {
    id: (d) => encodeDisputeId(disputeRef(d)),
    syncedAt: (d, _, ctx) => (ctx.indexed ? (ctx.indexed.syncedAt.get(d) ?? ctx.indexed.load.load(disputeRef(d))) : null),
    closable: (d, _, ctx) => {
      const client = ctx.clients.get(accountKey(d.provider, d.providerAccount));
      return client?.close !== undefined && client.capabilities.closableStatuses.includes(d.status);
    },
    // Fields a summary (list) record lacks come from the full record, loaded once per request.
    // Synchronous for full records (every provider but Flex's lists): no promise per field.
    balanceTransactions: (d, _, ctx) => (d.detail === 'full' ? d.balanceTransactions : full(d, ctx).then((f) => f.balanceTransactions)),
    balanceTransactionIds: (d, _, ctx) => {
      const ids = (f: Dispute) => f.balanceTransactionIds ?? f.balanceTransactions.map((b) => b.id);
      return d.detail === 'full' ? ids(d) : full(d, ctx).then(ids);
    },
    paymentMethodDetails: (d, _, ctx) => (d.detail === 'full' ? d.paymentMethodDetails : full(d, ctx).then((f) => f.paymentMethodDetails)),
    networkReasonCode: (d, _, ctx) => (d.detail === 'full' ? d.networkReasonCode : full(d, ctx).then((f) => f.networkReasonCode)),
  },
  DisputeConnection: {
    nodes: (c) => c.edges.map((e) => e.node),
    totalCount: (c) => c.totalCount?.() ?? null,
  },
};

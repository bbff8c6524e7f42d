// Per-request context: the configured provider clients (shared, long-lived) and a fresh set of
// loaders (per request, per the DataLoader README). Nothing user-specific outlives a request.
import type { GraphQLError } from 'graphql';
import type { ProviderName } from '../domain/dispute.js';
import type { MergeOptions } from '../gateway/merge.js';
import type { CloseResult } from '../gateway/close.js';
import type { IdempotencyStore } from '../gateway/idempotency.js';
import { createLoaders, type Loaders } from '../gateway/loaders.js';
import type { Logger } from '../logger.js';
import type { DisputeProviderClient } from '../providers/types.js';

/** What lives as long as the gateway process. */
export interface GatewayServices {
  clients: ReadonlyMap<ProviderName, DisputeProviderClient>;
  idempotency: IdempotencyStore<CloseResult>;
  inflight: Map<string, { fingerprint: string; result: Promise<CloseResult> }>;
  logger: Logger;
  merge: MergeOptions;
}

/** What resolvers report beside their data: partial failures and scan limits, added to the result. */
export interface Reports {
  errors: GraphQLError[];
  scanLimited: { path: (string | number)[]; provider: ProviderName; scannedPages: number }[];
}

export interface GatewayContext extends GatewayServices {
  loaders: Loaders;
  reports: Reports;
}

export function createContext(services: GatewayServices): GatewayContext {
  return { ...services, loaders: createLoaders(services.clients), reports: { errors: [], scanLimited: [] } };
}

// Per-request context: the configured provider clients (shared, long-lived) and a fresh set of
// loaders (per request, per the DataLoader README). Nothing user-specific outlives a request.
import type { GraphQLError } from 'graphql';
import type { ProviderName } from '../domain/dispute.js';
import type { MergeOptions } from '../gateway/merge.js';
import type { ApiKey } from '../auth/keys.js';
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

export interface Caller {
  /** The API key's name, or "anonymous" when the gateway runs open. */
  name: string;
  anonymous: boolean;
  canRead: boolean;
  canWrite: boolean;
}

export interface GatewayContext extends GatewayServices {
  loaders: Loaders;
  reports: Reports;
  caller: Caller;
}

/**
 * One request's context. A key limited to some providers sees only those: every resolver reads
 * `clients`, so another provider's disputes look exactly like disputes that do not exist.
 */
export function createContext(services: GatewayServices, key: ApiKey | null = null): GatewayContext {
  const clients = key?.providers ? new Map([...services.clients].filter(([name]) => key.providers!.has(name))) : services.clients;
  return {
    ...services,
    clients,
    loaders: createLoaders(clients),
    reports: { errors: [], scanLimited: [] },
    caller: key
      ? { name: key.name, anonymous: false, canRead: key.scopes.has('disputes:read'), canWrite: key.scopes.has('disputes:write') }
      : { name: 'anonymous', anonymous: true, canRead: true, canWrite: true },
  };
}

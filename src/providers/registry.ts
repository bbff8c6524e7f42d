// Every provider the gateway knows, and the accounts configured for them. Adding a provider means
// adding its folder, one line in BUILT_IN below and its DisputeProvider enum value
// (docs/adding-a-provider.md); everything else — configuration, the schema, the sandbox, the test kit, the bench's
// settings — reads this list.
import { Agent } from 'undici';
import { addProviderName, PROVIDERS, providerRank } from '../domain/provider-names.js';
import { accountKey } from '../domain/ids.js';
import { readAccountsFile } from './accounts-file.js';
import { ConfigError } from './env.js';
import type { ResilienceFactory } from './resilience.js';
import type { AttemptObserver, ExchangeSpans } from './http.js';
import type { Logger } from '../logger.js';
import { stripe } from './stripe/index.js';
import { wooshpay } from './wooshpay/index.js';
import { flex } from './flex/index.js';
import { afterpay } from './afterpay/index.js';
import type { PipelineSettings } from './env.js';
import type { WebhookSettings } from './webhooks.js';
import type { DisputeProviderClient, ProviderDefinition } from './types.js';
import type { GuidanceTable } from './guidance.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each definition has its own config type
type AnyDefinition = ProviderDefinition<any>;

const BUILT_IN: AnyDefinition[] = [stripe, wooshpay, flex, afterpay];

const definitions: AnyDefinition[] = [];

/** Every registered provider, in the gateway's order (the SDL enum's, then any registered later). */
export const PROVIDER_DEFINITIONS: readonly AnyDefinition[] = definitions;

/**
 * Registers a provider: the built-in ones at load, and any other (a plugin, the tests' extra
 * provider) before the gateway starts. A name the SDL enum lacks is added to the schema's enum.
 */
export function registerProvider(definition: AnyDefinition): void {
  if (definitions.some((d) => d.name === definition.name)) throw new Error(`provider ${definition.name} is registered twice`);
  addProviderName(definition.name, definition.displayName);
  definitions.push(definition);
  definitions.sort((a, b) => providerRank(a.name) - providerRank(b.name));
}

for (const d of BUILT_IN) registerProvider(d);
const missing = PROVIDERS.filter((p) => !definitions.some((d) => d.name === p));
if (missing.length > 0) throw new Error(`enum DisputeProvider names ${missing.join(', ')} but no provider folder registers it (providers/registry.ts)`);

/** A provider's evidence guidance table (null where its folder has none). */
export function guidanceTableOf(name: string): GuidanceTable | null {
  return definitions.find((d) => d.name === name)?.evidenceGuidance ?? null;
}

export interface ConfiguredProvider {
  definition: ProviderDefinition;
  /** The account slot: `default` for the single-account variables, else the PROVIDERS_FILE name. */
  config: { pipeline: PipelineSettings; account: string; webhook?: WebhookSettings };
}

/** The providers the environment's single-account variables enable (account `default`). */
export function providersFromEnv(env: NodeJS.ProcessEnv): ConfiguredProvider[] {
  const out: ConfiguredProvider[] = [];
  for (const definition of PROVIDER_DEFINITIONS) {
    const config = definition.configFromEnv(env);
    if (config !== null) out.push({ definition, config: { ...config, account: 'default' } });
  }
  return out;
}

/**
 * Every configured account: the single-account variables (account `default`) and PROVIDERS_FILE's
 * accounts. Both together are allowed when no provider has the same account name twice.
 */
export function configuredProviders(env: NodeJS.ProcessEnv): ConfiguredProvider[] {
  const out = providersFromEnv(env);
  const file = env.PROVIDERS_FILE?.trim();
  if (file) {
    for (const entry of readAccountsFile(file, env, PROVIDER_DEFINITIONS)) {
      const config = entry.definition.configFromEnv(entry.env);
      if (config === null) throw new ConfigError(`PROVIDERS_FILE: ${entry.definition.name.toLowerCase()} account "${entry.account}" lacks its credentials`);
      out.push({ definition: entry.definition, config: { ...config, account: entry.account } });
    }
  }
  const seen = new Set<string>();
  for (const c of out) {
    const key = accountKey(c.definition.name, c.config.account);
    if (seen.has(key)) throw new ConfigError(`${key} is configured twice (the single-account variables are account "default")`);
    seen.add(key);
  }
  // The gateway's order: provider, then account name.
  return out.sort(
    (a, b) =>
      providerRank(a.definition.name) - providerRank(b.definition.name) ||
      (a.config.account < b.config.account ? -1 : a.config.account > b.config.account ? 1 : 0),
  );
}

export const secretsOf = (configured: ConfiguredProvider[]): string[] => configured.flatMap(({ definition, config }) => definition.secrets(config));

/** The clients, one per configured account, by accountKey (`STRIPE:eu`). */
export type Clients = ReadonlyMap<string, DisputeProviderClient>;

export interface ProviderSet {
  clients: Map<string, DisputeProviderClient>;
  close(): Promise<void>;
}

/** Builds the clients, each with its own keep-alive connection pool. */
export function createProviderSet(
  configured: ConfiguredProvider[],
  logger: Logger,
  resilience?: ResilienceFactory,
  observer?: AttemptObserver,
  spans?: ExchangeSpans,
): ProviderSet {
  const clients = new Map<string, DisputeProviderClient>();
  const agents: Agent[] = [];
  for (const { definition, config } of configured) {
    const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 32, connect: { timeout: config.pipeline.timeoutMs } });
    agents.push(dispatcher);
    clients.set(accountKey(definition.name, config.account), definition.create(config, { dispatcher, logger, resilience, observer, spans }));
  }
  return {
    clients,
    close: async () => {
      await Promise.all(agents.map((a) => a.close()));
    },
  };
}

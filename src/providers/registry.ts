// Every provider the gateway knows. Adding one means adding its folder and one line here.
import { Agent } from 'undici';
import type { ProviderName } from '../domain/dispute.js';
import type { Logger } from '../logger.js';
import { stripe } from './stripe/index.js';
import { wooshpay } from './wooshpay/index.js';
import { flex } from './flex/index.js';
import { afterpay } from './afterpay/index.js';
import type { PipelineSettings } from './env.js';
import type { DisputeProviderClient, ProviderDefinition } from './types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each definition has its own config type
export const PROVIDER_DEFINITIONS: readonly ProviderDefinition<any>[] = [stripe, wooshpay, flex, afterpay];

export interface ConfiguredProvider {
  definition: ProviderDefinition;
  config: { pipeline: PipelineSettings };
}

/** The providers the environment enables, with their configs. */
export function providersFromEnv(env: NodeJS.ProcessEnv): ConfiguredProvider[] {
  const out: ConfiguredProvider[] = [];
  for (const definition of PROVIDER_DEFINITIONS) {
    const config = definition.configFromEnv(env);
    if (config !== null) out.push({ definition, config });
  }
  return out;
}

export const secretsOf = (configured: ConfiguredProvider[]): string[] =>
  configured.flatMap(({ definition, config }) => definition.secrets(config));

export interface ProviderSet {
  clients: Map<ProviderName, DisputeProviderClient>;
  close(): Promise<void>;
}

/** Builds the clients, each with its own keep-alive connection pool. */
export function createProviderSet(configured: ConfiguredProvider[], logger: Logger): ProviderSet {
  const clients = new Map<ProviderName, DisputeProviderClient>();
  const agents: Agent[] = [];
  for (const { definition, config } of configured) {
    const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 32, connect: { timeout: config.pipeline.timeoutMs } });
    agents.push(dispatcher);
    clients.set(definition.name, definition.create(config, { dispatcher, logger }));
  }
  return {
    clients,
    close: async () => {
      await Promise.all(agents.map((a) => a.close()));
    },
  };
}

// Flex, as the registry sees it.
import { pipelineSettings } from '../env.js';
import type { ProviderDefinition } from '../types.js';
import { FlexClient, type FlexConfig } from './client.js';
import { seedFlexDisputes } from './fake/seed.js';
import { FlexFake, sandboxFlexKey } from './fake/server.js';

export const flex: ProviderDefinition<FlexConfig> = {
  name: 'FLEX',
  options: ['apiKey', 'apiBase', 'timeoutMs', 'rateLimit', 'breakerThreshold', 'breakerCooldownMs'],
  configFromEnv(env) {
    const apiKey = env.FLEX_API_KEY?.trim();
    if (!apiKey) return null;
    return {
      apiKey,
      apiBase: env.FLEX_API_BASE?.trim() || 'https://api.withflex.com',
      account: 'default',
      pipeline: pipelineSettings(env, 'FLEX', { timeoutMs: 10_000, ratePerSecond: 25 }),
    };
  },
  create: (config, deps) => new FlexClient(config, deps),
  secrets: (config) => [config.apiKey],
  async startFake({ seed, count, epoch }) {
    const fake = new FlexFake(sandboxFlexKey(), seedFlexDisputes(seed, count, epoch));
    const url = await fake.start();
    return {
      url,
      env: { FLEX_RATE_LIMIT: '0', FLEX_API_KEY: fake.apiKey, FLEX_API_BASE: url },
      server: fake.server,
      ordered: () => fake.ordered(),
      closesExecuted: () => fake.closesExecuted,
      close: () => fake.close(),
    };
  },
};

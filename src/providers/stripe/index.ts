// Stripe, as the registry sees it: environment, construction, secrets and its sandbox fake.
import type { ProviderDefinition } from '../types.js';
import { pipelineSettings } from '../env.js';
import { StripeClient, type StripeConfig } from './client.js';
import { seedStripeDisputes } from './fake/seed.js';
import { sandboxStripeKey, StripeFake } from './fake/server.js';

export const stripe: ProviderDefinition<StripeConfig> = {
  name: 'STRIPE',
  configFromEnv(env) {
    const secretKey = env.STRIPE_SECRET_KEY?.trim();
    if (!secretKey) return null;
    return {
      secretKey,
      apiBase: env.STRIPE_API_BASE?.trim() || 'https://api.stripe.com',
      account: 'default',
      pipeline: pipelineSettings(env, 'STRIPE', { timeoutMs: 10_000, ratePerSecond: 25 }),
    };
  },
  create: (config, deps) => new StripeClient(config, deps),
  secrets: (config) => [config.secretKey, Buffer.from(`${config.secretKey}:`).toString('base64')],
  async startFake({ seed, count, epoch }) {
    const fake = new StripeFake(sandboxStripeKey(), seedStripeDisputes(seed, count, epoch));
    const url = await fake.start();
    return {
      url,
      env: { STRIPE_RATE_LIMIT: '0', STRIPE_SECRET_KEY: fake.secretKey, STRIPE_API_BASE: url },
      server: fake.server,
      ordered: () => fake.ordered(),
      closesExecuted: () => fake.closesExecuted,
      close: () => fake.close(),
    };
  },
};

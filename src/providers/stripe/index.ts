// Stripe, as the registry sees it: environment, construction, secrets and its sandbox fake.
import type { ProviderDefinition } from '../types.js';
import { detailsType, typeDefs } from './schema.js';
import { ConfigError, pipelineSettings } from '../env.js';
import { StripeClient, type StripeConfig } from './client.js';
import { webhookSettings } from '../webhooks.js';
import { stripeWebhooks } from './webhooks.js';
import { guidance } from './guidance.js';

/**
 * The Stripe API version the transformers read: the current shape (stripe-node's 2026-07-29.dahlia),
 * with evidence_details, enhanced_eligibility_types and prevented. Sent as Stripe-Version on every
 * request, so an account pinned to an older default still answers in this shape.
 */
export const STRIPE_API_VERSION = '2026-07-29.dahlia';

/** STRIPE_ACCOUNT (or stripeAccount): a Connect account the platform acts for, `acct_…`. */
function connectAccount(raw: string | undefined): string | undefined {
  const v = raw?.trim();
  if (!v) return undefined;
  if (!/^acct_[A-Za-z0-9]{1,255}$/.test(v))
    throw new ConfigError(`STRIPE_ACCOUNT (stripeAccount) must be a connected account id like acct_1Example, got "${v}"`);
  return v;
}

function stripeApiVersion(raw: string | undefined): string {
  const v = raw?.trim() || STRIPE_API_VERSION;
  if (!/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/.test(v)) throw new ConfigError(`STRIPE_API_VERSION must look like ${STRIPE_API_VERSION}, got "${v}"`);
  return v;
}

export const stripe: ProviderDefinition<StripeConfig> = {
  name: 'STRIPE',
  displayName: 'Stripe',
  typeDefs,
  detailsType,
  options: [
    'secretKey',
    'apiBase',
    'filesApiBase',
    'apiVersion',
    'stripeAccount',
    'timeoutMs',
    'rateLimit',
    'breakerThreshold',
    'breakerCooldownMs',
    'webhookSecret',
  ],
  configFromEnv(env) {
    const secretKey = env.STRIPE_SECRET_KEY?.trim();
    if (!secretKey) return null;
    return {
      secretKey,
      apiBase: env.STRIPE_API_BASE?.trim() || 'https://api.stripe.com',
      // Files are uploaded to another host than the API.
      filesApiBase: env.STRIPE_FILES_API_BASE?.trim() || 'https://files.stripe.com',
      apiVersion: stripeApiVersion(env.STRIPE_API_VERSION),
      stripeAccount: connectAccount(env.STRIPE_ACCOUNT),
      webhook: webhookSettings(env, 'STRIPE', { secret: (s) => (s.startsWith('whsec_') ? null : 'must be an endpoint signing secret, whsec_…') }),
      account: 'default',
      pipeline: pipelineSettings(env, 'STRIPE', { timeoutMs: 10_000, ratePerSecond: 25 }),
    };
  },
  create: (config, deps) => new StripeClient(config, deps),
  evidenceGuidance: guidance,
  webhooks: stripeWebhooks,
  secrets: (config) => [config.secretKey, Buffer.from(`${config.secretKey}:`).toString('base64'), ...(config.webhook?.secrets ?? [])],
  // Loaded only when a sandbox or a test starts one: production never imports the fakes.
};

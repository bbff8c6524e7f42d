// WooshPay, as the registry sees it.
import { ConfigError, pipelineSettings } from '../env.js';
import type { ProviderDefinition } from '../types.js';
import { storedExtras } from '../kit/extras.js';
import { detailsType, typeDefs } from './schema.js';
import { WooshPayClient, type WooshPayConfig } from './client.js';
import { webhookSettings } from '../webhooks.js';
import { stripeSchemeWebhooks } from '../kit/stripe-webhooks.js';
import { wooshpayToDispute } from './transformers.js';
import { guidance } from './guidance.js';

export const wooshpay: ProviderDefinition<WooshPayConfig> = {
  name: 'WOOSHPAY',
  displayName: 'WooshPay',
  typeDefs,
  detailsType,
  extraFields: storedExtras(['reasonType', 'reasonDescription', 'reasonCode']),
  options: ['secretKey', 'apiBase', 'listParams', 'evidenceEncoding', 'timeoutMs', 'rateLimit', 'breakerThreshold', 'breakerCooldownMs', 'webhookSecret'],
  configFromEnv(env) {
    const secretKey = env.WOOSHPAY_SECRET_KEY?.trim();
    if (!secretKey) return null;
    const listParams = env.WOOSHPAY_LIST_PARAMS?.trim() || 'body';
    if (listParams !== 'body' && listParams !== 'query') throw new ConfigError(`WOOSHPAY_LIST_PARAMS must be "body" or "query", got "${listParams}"`);
    const evidenceEncoding = env.WOOSHPAY_EVIDENCE_ENCODING?.trim() || 'form';
    if (evidenceEncoding !== 'form' && evidenceEncoding !== 'json')
      throw new ConfigError(`WOOSHPAY_EVIDENCE_ENCODING must be "form" or "json", got "${evidenceEncoding}"`);
    return {
      evidenceEncoding,
      secretKey,
      apiBase: env.WOOSHPAY_API_BASE?.trim() || 'https://api.wooshpay.com',
      account: 'default',
      pipeline: pipelineSettings(env, 'WOOSHPAY', { timeoutMs: 10_000, ratePerSecond: 25 }),
      listParams,
      // WooshPay's signature is undocumented: Stripe's scheme is assumed (docs/behaviour.md, Events).
      webhook: webhookSettings(env, 'WOOSHPAY'),
    };
  },
  create: (config, deps) => new WooshPayClient(config, deps),
  evidenceGuidance: guidance,
  webhooks: stripeSchemeWebhooks('WOOSHPAY', wooshpayToDispute),
  secrets: (config) => [config.secretKey, Buffer.from(`${config.secretKey}:`).toString('base64'), ...(config.webhook?.secrets ?? [])],
  // Loaded only when a sandbox or a test starts one: production never imports the fakes.
};

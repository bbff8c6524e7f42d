// Afterpay, as the registry sees it.
import { ConfigError, pipelineSettings } from '../env.js';
import type { ProviderDefinition } from '../types.js';
import { storedExtras } from '../kit/extras.js';
import { detailsType, typeDefs } from './schema.js';
import { orderMetaOf } from './transformers.js';
import { AfterpayClient, type AfterpayConfig } from './client.js';
import { webhookSettings } from '../webhooks.js';
import { afterpayWebhooks } from './webhooks.js';

import { GATEWAY_VERSION as VERSION } from '../../version.js';
import { guidance } from './guidance.js';

/**
 * Afterpay requires a User-Agent of the form
 * `Module/version (Platform/version; Runtime/version; Merchant/id) https://merchant.example`.
 * The URL is the merchant's site: set AFTERPAY_MERCHANT_URL to include it (or the whole header,
 * AFTERPAY_USER_AGENT). Without it the header ends at `(…; Merchant/<id>)`, and the client warns
 * once when it is made (the sandbox sets one, so it stays quiet).
 */
export function defaultAfterpayUserAgent(merchantId: string, merchantUrl: string | undefined): string {
  const ua = `DisputeGateway/${VERSION} (DisputeGateway/${VERSION}; Node.js/${process.versions.node}; Merchant/${merchantId})`;
  return merchantUrl ? `${ua} ${merchantUrl}` : ua;
}

export const afterpay: ProviderDefinition<AfterpayConfig> = {
  name: 'AFTERPAY',
  displayName: 'Afterpay',
  typeDefs,
  detailsType,
  extraFields: {
    ...storedExtras([
      'order',
      'merchantOrderId',
      'openingNote',
      'openingNoteAttachments',
      'closingReason',
      'closingNote',
      'transactionDate',
      'open',
      'settlementAmount',
      'updatedAt',
    ]),
    orderMeta: orderMetaOf,
  },
  options: [
    'merchantId',
    'secretKey',
    'apiBase',
    'userAgent',
    'merchantUrl',
    'currency',
    'environment',
    'acceptMethod',
    'timeoutMs',
    'rateLimit',
    'breakerThreshold',
    'breakerCooldownMs',
    'webhookSecret',
    'webhookUrl',
  ],
  configFromEnv(env) {
    const merchantId = env.AFTERPAY_MERCHANT_ID?.trim();
    const secretKey = env.AFTERPAY_SECRET_KEY?.trim();
    if (!merchantId && !secretKey) return null;
    if (!merchantId || !secretKey) throw new ConfigError('Afterpay needs both AFTERPAY_MERCHANT_ID and AFTERPAY_SECRET_KEY');
    const apiBase = env.AFTERPAY_API_BASE?.trim() || 'https://global-api.afterpay.com';
    const environment = env.AFTERPAY_ENVIRONMENT?.trim() || (new URL(apiBase).hostname.includes('sandbox') ? 'sandbox' : 'production');
    if (environment !== 'sandbox' && environment !== 'production')
      throw new ConfigError(`AFTERPAY_ENVIRONMENT must be "sandbox" or "production", got "${environment}"`);
    const currency = env.AFTERPAY_CURRENCY?.trim() || 'USD';
    if (!/^[A-Za-z]{3}$/.test(currency)) throw new ConfigError(`AFTERPAY_CURRENCY must be an ISO-4217 code, got "${currency}"`);
    const acceptMethod = (env.AFTERPAY_ACCEPT_METHOD?.trim() || 'POST').toUpperCase();
    if (acceptMethod !== 'POST' && acceptMethod !== 'GET') throw new ConfigError(`AFTERPAY_ACCEPT_METHOD must be POST or GET, got "${acceptMethod}"`);
    return {
      merchantId,
      secretKey,
      apiBase,
      userAgent: env.AFTERPAY_USER_AGENT?.trim() || defaultAfterpayUserAgent(merchantId, env.AFTERPAY_MERCHANT_URL?.trim()),
      account: 'default',
      pipeline: pipelineSettings(env, 'AFTERPAY', { timeoutMs: 20_000, ratePerSecond: 25 }),
      currency: currency.toLowerCase(),
      livemode: environment === 'production',
      acceptMethod,
      webhook: webhookSettings(env, 'AFTERPAY', { url: true }),
    };
  },
  create: (config, deps) => new AfterpayClient(config, deps),
  evidenceGuidance: guidance,
  webhooks: afterpayWebhooks,
  secrets: (config) => [config.secretKey, Buffer.from(`${config.merchantId}:${config.secretKey}`).toString('base64'), ...(config.webhook?.secrets ?? [])],
  // Loaded only when a sandbox or a test starts one: production never imports the fakes.
};

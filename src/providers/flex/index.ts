// Flex, as the registry sees it.
import { pipelineSettings } from '../env.js';
import type { ProviderDefinition } from '../types.js';
import { storedExtras } from '../kit/extras.js';
import { detailsType, typeDefs } from './schema.js';
import { FlexClient, type FlexConfig } from './client.js';
import { webhookSettings } from '../webhooks.js';
import { flexSecretProblem, flexWebhooks } from './webhooks.js';
import { guidance } from './guidance.js';

export const flex: ProviderDefinition<FlexConfig> = {
  name: 'FLEX',
  displayName: 'Flex',
  typeDefs,
  detailsType,
  extraFields: storedExtras(['clientReferenceId', 'stripeDisputeId']),
  options: ['apiKey', 'apiBase', 'evidenceResubmission', 'timeoutMs', 'rateLimit', 'breakerThreshold', 'breakerCooldownMs', 'webhookSecret'],
  configFromEnv(env) {
    const apiKey = env.FLEX_API_KEY?.trim();
    if (!apiKey) return null;
    return {
      apiKey,
      apiBase: env.FLEX_API_BASE?.trim() || 'https://api.withflex.com',
      account: 'default',
      pipeline: pipelineSettings(env, 'FLEX', { timeoutMs: 10_000, ratePerSecond: 25 }),
      webhook: webhookSettings(env, 'FLEX', { secret: flexSecretProblem }),
      resubmission: ['1', 'true', 'yes', 'on'].includes(env.FLEX_EVIDENCE_RESUBMISSION?.trim().toLowerCase() ?? ''),
    };
  },
  create: (config, deps) => new FlexClient(config, deps),
  evidenceGuidance: guidance,
  webhooks: flexWebhooks,
  secrets: (config) => [config.apiKey, ...(config.webhook?.secrets ?? [])],
  // Loaded only when a sandbox or a test starts one: production never imports the fakes.
};

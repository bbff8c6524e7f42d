// A provider to start from: TestPay, the smallest provider there can be. It is complete and runs
// (test/e2e/extra-provider.test.ts registers it beside Stripe), but it is not built in: nothing
// registers it in production. `npm run new-provider -- <Name>` copies this folder to
// src/providers/<name>/ with the names replaced, and prints the three lines to add elsewhere.
import { pipelineSettings } from '../env.js';
import type { ProviderDefinition } from '../types.js';
import { TestPayClient, type TestPayConfig } from './client.js';
import { TESTPAY } from './transformers.js';

export { TESTPAY } from './transformers.js';

export const testpay: ProviderDefinition<TestPayConfig> = {
  name: TESTPAY,
  displayName: 'TestPay',
  typeDefs: /* GraphQL */ `
    "TestPay's own fields of a dispute."
    type TestPayDisputeDetails {
      "Where the payment was taken: web, app or pos."
      channel: String
    }
    extend union DisputeProviderDetails = TestPayDisputeDetails
  `,
  detailsType: 'TestPayDisputeDetails',
  options: ['apiKey', 'apiBase', 'timeoutMs', 'rateLimit'],
  configFromEnv(env) {
    const apiKey = env.TESTPAY_API_KEY?.trim();
    if (!apiKey) return null;
    return {
      apiKey,
      apiBase: env.TESTPAY_API_BASE?.trim() || 'https://api.testpay.invalid',
      account: 'default',
      pipeline: pipelineSettings(env, 'TESTPAY', { timeoutMs: 5_000, ratePerSecond: 10 }),
    };
  },
  create: (config, deps) => new TestPayClient(config, deps),
  secrets: (config) => [config.apiKey],
};

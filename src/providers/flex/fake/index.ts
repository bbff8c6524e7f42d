// Flex's side in the sandbox: its fake, seeded, and webhooks signed as Svix signs them.
import { Webhook } from 'standardwebhooks';
import { fakeHandle } from '../../../sandbox/fake-server.js';
import type { FakeOptions, ProviderFake, SandboxProvider, WebhookSigner } from '../../../sandbox/types.js';
import { fakeWebhookSecret, FakeWebhookSender } from '../../../sandbox/webhooks.js';
import { mapStripeStatus } from '../../kit/stripe-shape.js';
import { seedFlexDisputes } from './seed.js';
import { FlexFake, sandboxFlexKey } from './server.js';

/** Signs as Svix does (Standard Webhooks): `svix-id`, `svix-timestamp`, `svix-signature`. */
const signFlex: WebhookSigner = async (body, secret, { timestampS, id }) => ({
  'svix-id': id,
  'svix-timestamp': String(timestampS),
  'svix-signature': new Webhook(secret).sign(id, new Date(timestampS * 1000), body),
  'content-type': 'application/json',
});

export async function startFlexFake({ seed, count, epoch, created }: FakeOptions): Promise<ProviderFake> {
  const disputes = seedFlexDisputes(seed, count, epoch).map((d) => (created ? { ...d, created_at: new Date(created() * 1000).toISOString() } : d));
  const fake = new FlexFake(sandboxFlexKey(), disputes);
  const url = await fake.start();
  // Flex's statuses are Stripe's.
  const expected = () =>
    disputes.map((d) => ({ id: d.dispute_id, created: Date.parse(d.created_at) / 1000, status: mapStripeStatus(d.status), currency: d.currency }));
  const webhooks = new FakeWebhookSender(signFlex, fakeWebhookSecret());
  fake.webhooks = webhooks;
  return fakeHandle(
    fake,
    url,
    { FLEX_RATE_LIMIT: '0', FLEX_API_KEY: fake.apiKey, FLEX_API_BASE: url, FLEX_WEBHOOK_SECRET: webhooks.secret },
    expected,
    webhooks,
  );
}

export const flexSandbox: SandboxProvider = { name: 'FLEX', startFake: startFlexFake, signWebhook: signFlex };

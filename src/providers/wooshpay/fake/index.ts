// WooshPay's side in the sandbox: its fake, seeded, and webhooks signed as Stripe signs them (its
// scheme is undocumented and assumed to be Stripe's: docs/behaviour.md, Events).
import { fakeHandle } from '../../../sandbox/fake-server.js';
import type { FakeOptions, ProviderFake, SandboxProvider } from '../../../sandbox/types.js';
import { fakeWebhookSecret, FakeWebhookSender } from '../../../sandbox/webhooks.js';
import { signStripeScheme } from '../../../sandbox/stripe-shape/sign.js';
import { mapWooshPayStatus } from '../transformers.js';
import { seedWooshPayDisputes } from './seed.js';
import { WooshPayFake, sandboxWooshPayKey } from './server.js';

export async function startWooshPayFake({ seed, count, epoch, created }: FakeOptions): Promise<ProviderFake> {
  const disputes = seedWooshPayDisputes(seed, count, epoch).map((d) => (created ? { ...d, created: created() } : d));
  const fake = new WooshPayFake(sandboxWooshPayKey(), disputes);
  const url = await fake.start();
  const expected = () => disputes.map((d) => ({ id: d.id, created: d.created, status: mapWooshPayStatus(d.status), currency: d.currency }));
  const webhooks = new FakeWebhookSender(signStripeScheme, fakeWebhookSecret());
  fake.webhooks = webhooks;
  return fakeHandle(
    fake,
    url,
    { WOOSHPAY_RATE_LIMIT: '0', WOOSHPAY_SECRET_KEY: fake.secretKey, WOOSHPAY_API_BASE: url, WOOSHPAY_WEBHOOK_SECRET: webhooks.secret },
    expected,
    webhooks,
  );
}

export const wooshpaySandbox: SandboxProvider = { name: 'WOOSHPAY', startFake: startWooshPayFake, signWebhook: signStripeScheme };

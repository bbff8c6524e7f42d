// Starts Stripe's fake for the sandbox and the tests (loaded on demand by the provider's definition).
import { fakeHandle } from '../../../sandbox/fake-server.js';
import type { FakeOptions, ProviderFake } from '../../types.js';
import { mapStripeStatus } from '../transformers.js';
import { seedStripeDisputes } from './seed.js';
import { StripeFake, sandboxStripeKey } from './server.js';
import { fakeWebhookSecret, FakeWebhookSender } from '../../../sandbox/webhooks.js';
import { stripeWebhooks } from '../webhooks.js';
import { freshDispute } from './seed.js';

export async function startStripeFake({ seed, count, epoch, created }: FakeOptions): Promise<ProviderFake> {
    const disputes = seedStripeDisputes(seed, count, epoch).map((d) => (created ? { ...d, created: created() } : d));
    const fake = new StripeFake(sandboxStripeKey(), disputes);
    const url = await fake.start();
    const expected = () => disputes.map((d) => ({ id: d.id, created: d.created, status: mapStripeStatus(d.status), currency: d.currency }));
    const webhooks = new FakeWebhookSender(stripeWebhooks, fakeWebhookSecret());
    fake.webhooks = webhooks;
    webhooks.newDispute = () => {
      const d = freshDispute(seed);
      fake.add(d);
      return d.id;
    };
    const env = { STRIPE_RATE_LIMIT: '0', STRIPE_SECRET_KEY: fake.secretKey, STRIPE_API_BASE: url, STRIPE_FILES_API_BASE: url, STRIPE_WEBHOOK_SECRET: webhooks.secret };
    return fakeHandle(fake, url, env, expected, webhooks);
}

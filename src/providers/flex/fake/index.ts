// Starts Flex's fake for the sandbox and the tests (loaded on demand by the provider's definition).
import { fakeWebhookSecret, FakeWebhookSender } from '../../../sandbox/webhooks.js';
import { flexWebhooks } from '../webhooks.js';
import { fakeHandle } from '../../../sandbox/fake-server.js';
import type { FakeOptions, ProviderFake } from '../../types.js';
import { mapStripeStatus } from '../../stripe/transformers.js';
import { seedFlexDisputes } from './seed.js';
import { FlexFake, sandboxFlexKey } from './server.js';

export async function startFlexFake({ seed, count, epoch, created }: FakeOptions): Promise<ProviderFake> {
    const disputes = seedFlexDisputes(seed, count, epoch).map((d) => (created ? { ...d, created_at: new Date(created() * 1000).toISOString() } : d));
    const fake = new FlexFake(sandboxFlexKey(), disputes);
    const url = await fake.start();
    // Flex's statuses are Stripe's.
    const expected = () => disputes.map((d) => ({ id: d.dispute_id, created: Date.parse(d.created_at) / 1000, status: mapStripeStatus(d.status), currency: d.currency }));
    const webhooks = new FakeWebhookSender(flexWebhooks, fakeWebhookSecret());
    fake.webhooks = webhooks;
    return fakeHandle(fake, url, { FLEX_RATE_LIMIT: '0', FLEX_API_KEY: fake.apiKey, FLEX_API_BASE: url, FLEX_WEBHOOK_SECRET: webhooks.secret }, expected, webhooks);
}

// Starts WooshPay's fake for the sandbox and the tests (loaded on demand by the provider's definition).
import { fakeWebhookSecret, FakeWebhookSender } from '../../../sandbox/webhooks.js';
import { wooshpay } from '../index.js';
import { fakeHandle } from '../../../sandbox/fake-server.js';
import type { FakeOptions, ProviderFake } from '../../types.js';
import { mapWooshPayStatus } from '../transformers.js';
import { seedWooshPayDisputes } from './seed.js';
import { WooshPayFake, sandboxWooshPayKey } from './server.js';

export async function startWooshPayFake({ seed, count, epoch, created }: FakeOptions): Promise<ProviderFake> {
    const disputes = seedWooshPayDisputes(seed, count, epoch).map((d) => (created ? { ...d, created: created() } : d));
    const fake = new WooshPayFake(sandboxWooshPayKey(), disputes);
    const url = await fake.start();
    const expected = () => disputes.map((d) => ({ id: d.id, created: d.created, status: mapWooshPayStatus(d.status), currency: d.currency }));
    // WooshPay's signature is assumed to be Stripe's (README, Events): its fake signs so.
    const webhooks = new FakeWebhookSender(wooshpay.webhooks!, fakeWebhookSecret());
    fake.webhooks = webhooks;
    return fakeHandle(fake, url, { WOOSHPAY_RATE_LIMIT: '0', WOOSHPAY_SECRET_KEY: fake.secretKey, WOOSHPAY_API_BASE: url, WOOSHPAY_WEBHOOK_SECRET: webhooks.secret }, expected, webhooks);
}

// Starts Afterpay's fake for the sandbox and the tests (loaded on demand by the provider's definition).
import { fakeWebhookSecret, FakeWebhookSender, SANDBOX_AFTERPAY_WEBHOOK_URL } from '../../../sandbox/webhooks.js';
import { afterpayWebhooks } from '../webhooks.js';
import { fakeHandle } from '../../../sandbox/fake-server.js';
import type { FakeOptions, ProviderFake } from '../../types.js';
import { mapAfterpayStatus } from '../transformers.js';
import { seedAfterpayDisputes } from './seed.js';
import { AfterpayFake, sandboxAfterpayCredentials } from './server.js';

export async function startAfterpayFake({ seed, count, epoch, created }: FakeOptions): Promise<ProviderFake> {
    const { merchantId, secretKey } = sandboxAfterpayCredentials();
    const disputes = seedAfterpayDisputes(seed, count, epoch).map((d) => (created ? { ...d, createdAt: String(created()) } : d));
    const fake = new AfterpayFake(merchantId, secretKey, disputes);
    const url = await fake.start();
    const expected = () =>
      disputes.map((d) => ({
        id: d.id,
        created: Number(d.createdAt),
        status: mapAfterpayStatus(d.status),
        // The gateway's currency: the dispute's, else the order's, else the account's (usd in the sandbox).
        currency: (d.currency ?? (typeof d.meta?.transactionAmount === 'object' ? d.meta.transactionAmount.currency : 'usd')).toLowerCase(),
      }));
    const webhooks = new FakeWebhookSender(afterpayWebhooks, fakeWebhookSecret(), SANDBOX_AFTERPAY_WEBHOOK_URL);
    fake.webhooks = webhooks;
    const env = {
      AFTERPAY_RATE_LIMIT: '0',
      AFTERPAY_MERCHANT_ID: merchantId,
      AFTERPAY_SECRET_KEY: secretKey,
      AFTERPAY_API_BASE: url,
      AFTERPAY_ENVIRONMENT: 'sandbox',
      AFTERPAY_WEBHOOK_SECRET: webhooks.secret,
      AFTERPAY_WEBHOOK_URL: SANDBOX_AFTERPAY_WEBHOOK_URL,
    };
    return fakeHandle(fake, url, env, expected, webhooks);
}

// Afterpay's side in the sandbox: its fake, seeded, and notices signed as Afterpay signs them (over
// the URL it was given).
import { fakeHandle } from '../../../sandbox/fake-server.js';
import type { FakeOptions, ProviderFake, SandboxProvider, WebhookSigner } from '../../../sandbox/types.js';
import { fakeWebhookSecret, FakeWebhookSender } from '../../../sandbox/webhooks.js';
import { mapAfterpayStatus } from '../transformers.js';
import { afterpayMac } from '../webhooks.js';
import { seedAfterpayDisputes } from './seed.js';
import { AfterpayFake, sandboxAfterpayCredentials } from './server.js';

/** The sandbox merchant's site, the end of its User-Agent as Afterpay documents it (never fetched). */
const SANDBOX_MERCHANT_URL = 'https://merchant.sandbox.invalid';

/** The URL the sandbox's Afterpay signs with: the public URL it "was given" (never fetched). */
const SANDBOX_AFTERPAY_WEBHOOK_URL = 'https://gateway.sandbox.invalid/webhooks/afterpay';

/** Signs as Afterpay does: `X-Afterpay-Request-Date` and a base64 HMAC over the URL, the date and the body. */
const signAfterpay: WebhookSigner = async (body, secret, { timestampS, url }) => {
  const date = String(timestampS);
  return {
    'x-afterpay-request-date': date,
    'x-afterpay-request-signature': afterpayMac(secret, url ?? SANDBOX_AFTERPAY_WEBHOOK_URL, date, Buffer.from(body)).toString('base64'),
    'content-type': 'application/json',
  };
};

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
  const webhooks = new FakeWebhookSender(signAfterpay, fakeWebhookSecret(), SANDBOX_AFTERPAY_WEBHOOK_URL);
  fake.webhooks = webhooks;
  const env = {
    AFTERPAY_RATE_LIMIT: '0',
    AFTERPAY_MERCHANT_ID: merchantId,
    AFTERPAY_SECRET_KEY: secretKey,
    AFTERPAY_API_BASE: url,
    AFTERPAY_ENVIRONMENT: 'sandbox',
    AFTERPAY_MERCHANT_URL: SANDBOX_MERCHANT_URL,
    AFTERPAY_WEBHOOK_SECRET: webhooks.secret,
    AFTERPAY_WEBHOOK_URL: SANDBOX_AFTERPAY_WEBHOOK_URL,
  };
  return fakeHandle(fake, url, env, expected, webhooks);
}

export const afterpaySandbox: SandboxProvider = { name: 'AFTERPAY', startFake: startAfterpayFake, signWebhook: signAfterpay };

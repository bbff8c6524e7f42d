// Each provider's webhook verification, as the provider signs: valid, tampered, wrong secret,
// rotated secret, stale and future timestamps, missing headers; and the signatures computed by hand
// from the providers' documented recipes, so the libraries are checked against the documents.
import { sandboxProviderOf } from '../../src/sandbox/registry.js';
import type { WebhookSigner } from '../../src/sandbox/types.js';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { afterpayWebhooks } from '../../src/providers/afterpay/webhooks.js';
import { flexWebhooks } from '../../src/providers/flex/webhooks.js';
import { stripeWebhooks } from '../../src/providers/stripe/webhooks.js';
import { wooshpay } from '../../src/providers/wooshpay/index.js';
import type { ProviderWebhooks } from '../../src/providers/webhooks.js';

const NOW = Date.now();
const nowS = Math.floor(NOW / 1000);
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OTHER = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';
const URL_GIVEN = 'https://disputes.example.com/webhooks/afterpay';
const body = JSON.stringify({ id: 'evt_1', type: 'charge.dispute.created' });

async function outcome(hooks: ProviderWebhooks, raw: string, headers: Record<string, string>, secrets = [SECRET]): Promise<string> {
  try {
    await hooks.verify(Buffer.from(raw), headers, { secrets, url: URL_GIVEN }, NOW);
    return 'ok';
  } catch (err) {
    return (err as { reason?: string }).reason ?? String(err);
  }
}

const cases: [string, ProviderWebhooks, WebhookSigner][] = [
  ['Stripe', stripeWebhooks, sandboxProviderOf('STRIPE').signWebhook!],
  ['WooshPay (Stripe scheme)', wooshpay.webhooks!, sandboxProviderOf('WOOSHPAY').signWebhook!],
  ['Flex (Svix)', flexWebhooks, sandboxProviderOf('FLEX').signWebhook!],
  ['Afterpay', afterpayWebhooks, sandboxProviderOf('AFTERPAY').signWebhook!],
];

describe.each(cases)('%s webhook signatures', (_name, hooks, signer) => {
  const sign = (secret = SECRET, timestampS = nowS, raw = body) => signer(raw, secret, { timestampS, id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', url: URL_GIVEN });

  it('accepts a valid signature', async () => {
    expect(await outcome(hooks, body, await sign())).toBe('ok');
  });
  it('refuses a tampered body', async () => {
    expect(await outcome(hooks, body.replace('evt_1', 'evt_2'), await sign())).toBe('bad_signature');
  });
  it('refuses a signature by another secret', async () => {
    expect(await outcome(hooks, body, await sign(OTHER))).toBe('bad_signature');
  });
  it('accepts either secret during rotation', async () => {
    expect(await outcome(hooks, body, await sign(OTHER), [SECRET, OTHER])).toBe('ok');
    expect(await outcome(hooks, body, await sign(SECRET), [OTHER, SECRET])).toBe('ok');
  });
  it('refuses a timestamp more than 5 minutes old, or ahead', async () => {
    expect(await outcome(hooks, body, await sign(SECRET, nowS - 301))).toBe('stale');
    expect(await outcome(hooks, body, await sign(SECRET, nowS + 301))).toBe('future');
    expect(await outcome(hooks, body, await sign(SECRET, nowS - 290))).toBe('ok');
  });
  it('refuses missing headers', async () => {
    expect(await outcome(hooks, body, {})).toBe('missing_headers');
    const headers = await sign();
    for (const name of hooks.headers) {
      const without = Object.fromEntries(Object.entries(headers).filter(([k]) => k !== name));
      expect(await outcome(hooks, body, without)).toBe('missing_headers');
    }
  });
});

describe('signatures computed from the documented recipes', () => {
  it('Stripe: v1 = hex HMAC-SHA256 of "<t>.<body>"; any of several v1 entries matches', async () => {
    const v1 = createHmac('sha256', SECRET).update(`${nowS}.${body}`).digest('hex');
    expect(await outcome(stripeWebhooks, body, { 'stripe-signature': `t=${nowS},v1=${v1}` })).toBe('ok');
    expect(await outcome(stripeWebhooks, body, { 'stripe-signature': `t=${nowS},v1=${'0'.repeat(64)},v1=${v1}` })).toBe('ok');
    expect(await outcome(stripeWebhooks, body, { 'stripe-signature': `t=${nowS},v0=${v1}` })).toBe('missing_headers');
  });
  it('Flex (Svix): base64 HMAC of "<id>.<timestamp>.<body>" keyed with the decoded secret; webhook-* names too', async () => {
    const key = Buffer.from(SECRET.slice(6), 'base64');
    const sig = createHmac('sha256', key).update(`msg_1.${nowS}.${body}`).digest('base64');
    expect(await outcome(flexWebhooks, body, { 'svix-id': 'msg_1', 'svix-timestamp': String(nowS), 'svix-signature': `v1,bogus= v1,${sig}` })).toBe('ok');
    expect(await outcome(flexWebhooks, body, { 'webhook-id': 'msg_1', 'webhook-timestamp': String(nowS), 'webhook-signature': `v1,${sig}` })).toBe('ok');
    expect(await outcome(flexWebhooks, body, { 'svix-id': 'msg_2', 'svix-timestamp': String(nowS), 'svix-signature': `v1,${sig}` })).toBe('bad_signature');
  });
  it('Afterpay: HMAC of "<url>\\n<date>\\n<body>", base64 or hex; the URL is covered', async () => {
    const mac = createHmac('sha256', SECRET).update(`${URL_GIVEN}\n${nowS}\n${body}`).digest();
    for (const encoded of [mac.toString('base64'), mac.toString('hex')]) {
      expect(await outcome(afterpayWebhooks, body, { 'x-afterpay-request-date': String(nowS), 'x-afterpay-request-signature': encoded })).toBe('ok');
    }
    const elsewhere = createHmac('sha256', SECRET).update(`https://other.example.com/hook\n${nowS}\n${body}`).digest('base64');
    expect(await outcome(afterpayWebhooks, body, { 'x-afterpay-request-date': String(nowS), 'x-afterpay-request-signature': elsewhere })).toBe('bad_signature');
  });
});

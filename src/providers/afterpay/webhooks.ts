// Afterpay's webhooks: `X-Afterpay-Request-Date` (unix seconds, at most 5 minutes off) and
// `X-Afterpay-Request-Signature`, HMAC-SHA256 with the shared key over
// `<the URL Afterpay was given>\n<date>\n<raw body>`. The encoding of the signature is not
// documented: base64 is read (the likelier reading) and so is hex; both are compared in constant
// time. The body names the dispute and the kind of change (`dispute_id`, `webhook_event_type`) and
// carries no state: the gateway fetches the dispute after acknowledging.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { DisputeEventType, ProviderEvent } from '../../domain/event.js';
import { isProviderId } from '../../domain/ids.js';
import { checkTimestamp, header, WebhookRejected, type ProviderWebhooks } from '../webhooks.js';

/** Afterpay's signature: HMAC-SHA256 of `<URL given to Afterpay>\n<date>\n<body>` (verified here, made by the sandbox's signer). */
export const afterpayMac = (secret: string, url: string, date: string, raw: Buffer) =>
  createHmac('sha256', secret).update(`${url}\n${date}\n`).update(raw).digest();

/** The signature's bytes, read as base64 or as hex (both readings, see above); null when neither. */
function signatureBytes(s: string): Buffer[] {
  const out: Buffer[] = [];
  if (/^[0-9a-f]{64}$/i.test(s)) out.push(Buffer.from(s, 'hex'));
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(s)) out.push(Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
  return out.filter((b) => b.length === 32);
}

/** Afterpay's kinds of change, as far as documented (`created`); anything else is an update. */
function eventType(kind: string): DisputeEventType {
  const k = kind.toLowerCase();
  if (k === 'created' || k === 'opened') return 'CREATED';
  if (k === 'closed' || k === 'won' || k === 'lost' || k === 'accepted') return 'CLOSED';
  if (k === 'evidence_submitted' || k === 'responded' || k === 'under_review') return 'EVIDENCE_SUBMITTED';
  return 'UPDATED';
}

export const afterpayWebhooks: ProviderWebhooks = {
  headers: ['x-afterpay-request-date', 'x-afterpay-request-signature'],
  needsUrl: true,
  async verify(raw, headers, settings, nowMs) {
    const date = header(headers, 'x-afterpay-request-date');
    const signature = header(headers, 'x-afterpay-request-signature');
    if (!date || !signature) throw new WebhookRejected('missing_headers');
    if (!/^\d{1,12}$/.test(date.trim())) throw new WebhookRejected('malformed');
    checkTimestamp(Number(date.trim()), nowMs);
    const given = signatureBytes(signature.trim());
    let ok = false;
    for (const secret of settings.secrets) {
      const expected = afterpayMac(secret, settings.url!, date.trim(), raw);
      for (const g of given) ok = timingSafeEqual(g, expected) || ok;
    }
    if (!ok) throw new WebhookRejected('bad_signature');
  },
  read(raw, headers, account): ProviderEvent[] {
    const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown> | null;
    if (typeof body !== 'object' || body === null || !isProviderId(body.dispute_id) || typeof body.webhook_event_type !== 'string')
      throw new WebhookRejected('malformed');
    // No event id is documented: one the body carries is used, else the body's digest (a
    // redelivery sends the same body; the state is fetched, so an identical notice adds nothing).
    const own = [body.event_id, body.webhook_event_id, body.id].find((v) => typeof v === 'string' && v.length > 0 && v.length <= 255) as string | undefined;
    return [
      {
        type: eventType(body.webhook_event_type),
        provider: 'AFTERPAY',
        account,
        providerEventId: own ?? `sha256_${createHash('sha256').update(raw).digest('hex').slice(0, 40)}`,
        providerDisputeId: body.dispute_id,
        occurredAt: new Date(Number(header(headers, 'x-afterpay-request-date')!.trim()) * 1000),
        dispute: null,
      },
    ];
  },
};

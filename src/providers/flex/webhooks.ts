// Flex's webhooks: Svix, which is Standard Webhooks. Headers `svix-id`, `svix-timestamp` and
// `svix-signature` (space-separated `v1,<base64>` entries; the `webhook-*` names of the standard
// are read too); signed content `<id>.<timestamp>.<raw body>`, HMAC-SHA256 keyed with the
// base64-decoded part of the `whsec_` secret, verified by the `standardwebhooks` package. Events
// are `{event_dt, event_id, event_type, object: <dispute>}` with Stripe's five type names;
// redeliveries keep the same svix-id, which is the dedupe key.
import type { IncomingHttpHeaders } from 'node:http';
import { Webhook } from 'standardwebhooks';
import type { ProviderEvent } from '../../domain/event.js';
import { CHARGE_DISPUTE_TYPES, checkTimestamp, header, WebhookRejected, type ProviderWebhooks } from '../webhooks.js';
import { flexToDispute } from './transformers.js';

/** The Standard Webhooks headers, from Svix's names or the standard's own. */
function standardHeaders(headers: IncomingHttpHeaders): { id: string; timestamp: string; signature: string } | null {
  const pick = (name: string) => header(headers, `svix-${name}`) ?? header(headers, `webhook-${name}`);
  const id = pick('id');
  const timestamp = pick('timestamp');
  const signature = pick('signature');
  return id && timestamp && signature ? { id, timestamp, signature } : null;
}

/** A Flex (Svix) secret is `whsec_` and base64; null when it is one. */
export function flexSecretProblem(secret: string): string | null {
  const b64 = secret.startsWith('whsec_') ? secret.slice(6) : secret;
  return /^[A-Za-z0-9+/]{16,}={0,2}$/.test(b64) ? null : 'must be a Svix signing secret, whsec_ followed by base64';
}

/** Flex's event time: `event_dt` in unix seconds (milliseconds are read too: the reference does not say). */
const eventTime = (v: unknown, fallbackS: number) =>
  typeof v === 'number' && Number.isFinite(v) ? new Date(v > 1e12 ? v : v * 1000) : new Date(fallbackS * 1000);

export const flexWebhooks: ProviderWebhooks = {
  headers: ['svix-id', 'svix-timestamp', 'svix-signature'],
  async verify(raw, headers, settings, nowMs) {
    const h = standardHeaders(headers);
    if (!h) throw new WebhookRejected('missing_headers');
    if (!/^\d{1,12}$/.test(h.timestamp)) throw new WebhookRejected('malformed');
    checkTimestamp(Number(h.timestamp), nowMs);
    const wanted = { 'webhook-id': h.id, 'webhook-timestamp': h.timestamp, 'webhook-signature': h.signature };
    for (const secret of settings.secrets) {
      try {
        new Webhook(secret).verify(raw, wanted);
        return;
      } catch {
        // the next secret (rotation)
      }
    }
    throw new WebhookRejected('bad_signature');
  },
  read(raw, headers, account): ProviderEvent[] {
    const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown> | null;
    if (typeof body !== 'object' || body === null || typeof body.event_type !== 'string') throw new WebhookRejected('malformed');
    const type = CHARGE_DISPUTE_TYPES[body.event_type];
    if (!type) return [];
    const object = body.object as Record<string, unknown> | null;
    // A full record carries payment_method_details; a summary's detail fields are read on demand.
    const dispute = flexToDispute(object, account, object && 'payment_method_details' in object ? 'full' : 'summary', 'event.object');
    const id = standardHeaders(headers)!;
    return [
      {
        type,
        provider: 'FLEX',
        account,
        // svix-id stays the same across redeliveries; event_id names the event itself.
        providerEventId: typeof body.event_id === 'string' && body.event_id ? body.event_id : id.id,
        providerDisputeId: dispute.providerDisputeId,
        occurredAt: eventTime(body.event_dt, Number(id.timestamp)),
        dispute,
      },
    ];
  },
};

// Stripe's webhooks, and every provider that signs as Stripe does (WooshPay, by assumption):
// `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=…]`, HMAC-SHA256 with the endpoint secret over
// `<t>.<raw body>`, verified by the `stripe` package's own helper (loaded on first use), with the
// timestamp held to 300 s either way (the helper checks only the past). Events are Stripe's
// `{id, type, created, data: {object, previous_attributes}, request: {idempotency_key}}`.
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispute, ProviderName } from '../../domain/dispute.js';
import type { DisputeEventType, ProviderEvent } from '../../domain/event.js';
import { CHARGE_DISPUTE_TYPES, checkTimestamp, header, WEBHOOK_TOLERANCE_S, WebhookRejected, type ProviderWebhooks } from '../webhooks.js';

type StripeModule = typeof import('stripe').default;
let stripeModule: Promise<StripeModule> | undefined;
const stripeLib = () => (stripeModule ??= import('stripe').then((m) => m.default));

const obj = (v: unknown): Record<string, unknown> | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

/**
 * The event's type. `charge.dispute.updated` whose previous attributes show a lower evidence
 * submission count is the submission of evidence (Stripe has no event of its own for it).
 */
function eventType(type: string, data: Record<string, unknown>, dispute: Dispute): DisputeEventType | null {
  const mapped = CHARGE_DISPUTE_TYPES[type];
  if (mapped !== 'UPDATED') return mapped ?? null;
  const before = obj(obj(data.previous_attributes)?.evidence_details)?.submission_count;
  return typeof before === 'number' && dispute.evidenceDetails.submissionCount > before ? 'EVIDENCE_SUBMITTED' : 'UPDATED';
}

export function stripeSchemeWebhooks(provider: ProviderName, toDispute: (raw: unknown, account: string) => Dispute): ProviderWebhooks {
  return {
    headers: ['stripe-signature'],
    async verify(raw: Buffer, headers: IncomingHttpHeaders, settings, nowMs) {
      const signature = header(headers, 'stripe-signature');
      if (!signature) throw new WebhookRejected('missing_headers');
      const t = /(?:^|,)\s*t=(\d{1,12})(?:,|$)/.exec(signature)?.[1];
      if (!t || !/(?:^|,)\s*v1=/.test(signature)) throw new WebhookRejected('missing_headers');
      checkTimestamp(Number(t), nowMs);
      const { webhooks } = await stripeLib();
      for (const secret of settings.secrets) {
        try {
          webhooks.signature!.verifyHeader(raw, signature, secret, WEBHOOK_TOLERANCE_S, undefined, nowMs);
          return;
        } catch {
          // the next secret (rotation)
        }
      }
      throw new WebhookRejected('bad_signature');
    },
    read(raw: Buffer, _headers, account: string): ProviderEvent[] {
      const event = obj(JSON.parse(raw.toString('utf8')));
      const data = obj(event?.data);
      if (!event || typeof event.id !== 'string' || typeof event.type !== 'string' || typeof event.created !== 'number' || !data)
        throw new WebhookRejected('malformed');
      if (CHARGE_DISPUTE_TYPES[event.type] === undefined) return [];
      const dispute = toDispute(data.object, account);
      const type = eventType(event.type, data, dispute)!;
      const key = obj(event.request)?.idempotency_key;
      return [
        {
          type,
          provider,
          account,
          providerEventId: event.id,
          providerDisputeId: dispute.providerDisputeId,
          occurredAt: new Date(event.created * 1000),
          dispute,
          causedByKey: typeof key === 'string' ? key : null,
        },
      ];
    },
  };
}

// Stripe's webhooks, and every provider that signs as Stripe does (WooshPay, by assumption):
// `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=…]`, HMAC-SHA256 with the endpoint secret over
// `<t>.<raw body>`, verified by the `stripe` package's own helper (loaded on first use), with the
// timestamp held to 300 s either way (the helper checks only the past). Events are Stripe's
// `{id, type, created, data: {object, previous_attributes}, request: {idempotency_key}}`.
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispute, ProviderName } from '../../domain/dispute.js';
import type { ProviderEvent } from '../../domain/event.js';
import { checkTimestamp, header, WEBHOOK_TOLERANCE_S, WebhookRejected, type ProviderWebhooks } from '../webhooks.js';
import { MalformedUpstream } from '../wire.js';
import { readStripeDisputeEvent, type StripeDisputeEvent } from './stripe-events.js';

type StripeModule = typeof import('stripe').default;
let stripeModule: Promise<StripeModule> | undefined;
const stripeLib = () => (stripeModule ??= import('stripe').then((m) => m.default));

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
      // Read as the events list reads an event (stripe-events.ts): one reading of Stripe's Event.
      let event: StripeDisputeEvent | null;
      try {
        event = readStripeDisputeEvent(JSON.parse(raw.toString('utf8')), (o) => toDispute(o, account));
      } catch (err) {
        if (err instanceof MalformedUpstream || err instanceof SyntaxError) throw new WebhookRejected('malformed');
        throw err;
      }
      if (!event) return [];
      return [
        {
          type: event.eventType,
          provider,
          account,
          providerEventId: event.id,
          providerDisputeId: event.dispute.providerDisputeId,
          occurredAt: event.occurredAt,
          dispute: event.dispute,
          causedByKey: event.causedByKey,
        },
      ];
    },
  };
}

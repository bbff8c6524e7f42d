// Webhooks signed as Stripe signs them, for the fakes of Stripe and of the providers that sign as it does (WooshPay).
import Stripe from 'stripe';
import type { WebhookSigner } from '../types.js';

/** Signs as Stripe does: `Stripe-Signature: t=…,v1=…`, by the stripe package's own test helper. */
export const signStripeScheme: WebhookSigner = async (body, secret, { timestampS }) => ({
  'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: timestampS }),
  'content-type': 'application/json; charset=utf-8',
});

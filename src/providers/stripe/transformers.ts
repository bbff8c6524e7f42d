// Stripe's dispute, read with the kit's Stripe-shaped reader (providers/kit/stripe-shape.ts).
import type { Dispute } from '../../domain/dispute.js';
import { readStripeShapedDispute } from '../kit/stripe-shape.js';

export function stripeToDispute(v: unknown, account: string): Dispute {
  return readStripeShapedDispute(v, 'STRIPE', account).dispute;
}

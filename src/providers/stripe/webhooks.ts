// Stripe's webhooks: the kit's Stripe scheme (providers/kit/stripe-webhooks.ts) reading Stripe's disputes.
import { stripeSchemeWebhooks } from '../kit/stripe-webhooks.js';
import { stripeToDispute } from './transformers.js';

export const stripeWebhooks = stripeSchemeWebhooks('STRIPE', stripeToDispute);

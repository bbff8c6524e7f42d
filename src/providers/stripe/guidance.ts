// Stripe's evidence guidance: its own categories' (the kit's table, which follows Stripe's documents).
import { stripeGuidance } from '../kit/stripe-guidance.js';
import type { GuidanceTable } from '../guidance.js';

export const guidance: GuidanceTable = stripeGuidance();

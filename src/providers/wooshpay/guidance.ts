// WooshPay's evidence guidance: it publishes none of its own, so Stripe's, whose evidence keys it takes, marked as such.
import { stripeGuidance } from '../kit/stripe-guidance.js';
import type { GuidanceTable } from '../guidance.js';

const UNCONFIRMED = "WooshPay's API shows no enhanced_evidence, so whether it takes this is unconfirmed.";

export const guidance: GuidanceTable = stripeGuidance({
  note: "WooshPay publishes no evidence guidance of its own (none found), so this is Stripe's, applied as is.",
  sources: { WP: 'https://docs.wooshpay.com/44454250e0 and https://docs.wooshpay.com/api-44408217' },
  fieldNotes: {
    'enhancedEvidence.visaCompellingEvidence3.priorUndisputedTransactions': UNCONFIRMED,
    'enhancedEvidence.visaCompliance.feeAcknowledged': UNCONFIRMED,
    'enhancedEvidence.mastercardCompliance.feeAcknowledged': UNCONFIRMED,
  },
});

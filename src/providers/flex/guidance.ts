// Flex's evidence guidance: it publishes none beyond Stripe's, whose evidence keys it takes, so Stripe's, marked as such.
import { stripeGuidance } from '../kit/stripe-guidance.js';
import type { GuidanceTable } from '../guidance.js';

const UNCONFIRMED = "Flex's documented evidence update has no enhanced_evidence, so sending this through Flex is unconfirmed.";

export const guidance: GuidanceTable = stripeGuidance({
  note: "Flex publishes no evidence guidance of its own beyond Stripe's (none found; its guide's reason-code section could not be read: unconfirmed), so this is Stripe's.",
  sources: { 'FLEX-G': 'https://docs.withflex.com/disputes-api-guide', 'FLEX-UPD': 'https://docs.withflex.com/api-reference/disputes/update-dispute' },
  fieldNotes: {
    'enhancedEvidence.visaCompellingEvidence3.priorUndisputedTransactions': UNCONFIRMED,
    'enhancedEvidence.visaCompliance.feeAcknowledged': UNCONFIRMED,
    'enhancedEvidence.mastercardCompliance.feeAcknowledged': UNCONFIRMED,
  },
});

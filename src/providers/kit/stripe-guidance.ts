// Stripe's evidence guidance per dispute category, as reviewed data: its "Category defense guidelines"
// (with the physical / digital / offline-service split), Compelling Evidence for fraud, Visa CE 3.0,
// the compliance fee gate and the finality of bank debits. Every item names its sources; where Stripe
// publishes nothing the text says "unconfirmed". The Stripe-shaped providers reuse it (withProvenance).
import type { DisputeReason } from '../../domain/dispute.js';
import {
  GOODS_VARIANTS,
  optional,
  reasonGuidance,
  recommended,
  required,
  withProvenance,
  type EvidenceRequirementLevel,
  type GoodsVariant,
  type GuidanceItemSpec,
  type GuidanceTable,
  type Provenance,
  type ReasonGuidance,
} from '../guidance.js';

/** The documents this table follows (the keys of the project's evidence-guidance reference). */
export const STRIPE_GUIDANCE_SOURCES: Readonly<Record<string, string>> = {
  'S-CAT': 'https://docs.stripe.com/disputes/categories',
  'S-BP': 'https://docs.stripe.com/disputes/best-practices',
  'S-RESP': 'https://docs.stripe.com/disputes/responding',
  'S-RC': 'https://docs.stripe.com/disputes/reason-codes-defense-requirements',
  'S-FRAUD': 'https://support.stripe.com/questions/respond-to-a-dispute-in-the-fraudulent-category',
  'S-CE3': 'https://docs.stripe.com/disputes/api/visa-ce3',
  'S-CE3-FAQ': 'https://support.stripe.com/questions/how-does-stripe-support-visa-compelling-evidence-3-0',
  'S-VC': 'https://docs.stripe.com/disputes/api/visa-compliance',
  'S-MC': 'https://docs.stripe.com/disputes/api/mastercard-compliance',
  'S-CL-MC': 'https://docs.stripe.com/changelog/dahlia/2026-06-24/mastercard-compliance-disputes',
  'S-ACH':
    'https://support.stripe.com/questions/respond-to-or-contest-an-ach-direct-debit-dispute-as-a-merchant and https://support.stripe.com/questions/disputes-for-ach-payments',
  'S-SEPA': 'https://support.stripe.com/questions/sepa-direct-debit-payment-disputes',
  SN: 'stripe/stripe-node@663942164 src/resources/Disputes.ts',
  SHOP: 'https://shopify.dev/docs/api/admin-graphql/latest/enums/ShopifyPaymentsDisputeReason',
};

const CAT = ['S-CAT'];
const PHYSICAL: readonly GoodsVariant[] = ['physical'];
const DIGITAL: readonly GoodsVariant[] = ['digital'];
const SERVICE: readonly GoodsVariant[] = ['service'];
const DIGITAL_OR_SERVICE: readonly GoodsVariant[] = ['digital', 'service'];
const PHYSICAL_OR_SERVICE: readonly GoodsVariant[] = ['physical', 'service'];

/** `uncat_*` of the reference: either uncategorized field carries the other facts Stripe lists. */
const uncategorized = (why: string, sources: readonly string[] = CAT): GuidanceItemSpec[] => [
  recommended('uncategorizedText', why, sources, { group: 'uncategorized' }),
  recommended('uncategorizedFile', why, sources, { group: 'uncategorized' }),
];

/** What Stripe asks for in every category ("Evidence that applies to every category"), sent when you can. */
const BACKGROUND: readonly GuidanceItemSpec[] = [
  optional('billingAddress', 'Background Stripe asks for in every category: the billing address, if AVS passed (Stripe fills it in when it can).', CAT),
  optional('customerName', "Background Stripe asks for in every category: the customer's name.", CAT),
  optional('customerEmailAddress', "Background Stripe asks for in every category: the customer's email address (Stripe fills it in when it can).", CAT),
  optional(
    'customerPurchaseIp',
    'Background Stripe asks for in every category: the IP address of the purchase (Stripe adds its geolocation when it can).',
    CAT,
  ),
  optional('customerSignature', 'Background Stripe asks for in every category: a signed document or contract.', CAT),
  optional(
    'customerCommunication',
    'Background Stripe asks for in every category: the relevant customer communication, merged into one file; proof that the cardholder withdrew the dispute discredits it.',
    ['S-CAT', 'S-BP'],
  ),
  optional('receipt', 'Background Stripe asks for in every category: the receipt (Stripe attaches its own email receipt if one was sent).', CAT),
  optional('productDescription', 'Background Stripe asks for in every category: the product or service and how it was presented at purchase.', CAT),
  optional(
    'refundRefusalExplanation',
    'Proof that you compensated the customer before the dispute, inside or outside Stripe, discredits it in any category (the Dashboard labels this field "Customer communication").',
    ['S-CAT', 'S-BP'],
  ),
];

/** A category's items, with the background for every variant that does not already list the field. */
function withBackground(items: readonly GuidanceItemSpec[]): GuidanceItemSpec[] {
  const listed = (field: string, v: GoodsVariant) => items.some((i) => i.field === field && (i.variants ?? GOODS_VARIANTS).includes(v));
  const background = BACKGROUND.flatMap((b) => {
    const missing = GOODS_VARIANTS.filter((v) => !listed(b.field, v));
    if (missing.length === 0) return [];
    return missing.length === GOODS_VARIANTS.length ? [b] : [{ ...b, variants: missing }];
  });
  return [...items, ...background];
}

const COMPELLING =
  'Stripe tags it Compelling Evidence: a Visa fraud response needs at least one such item (without one the chance of winning is very low), and Stripe advises the same for every network.';
const SHIPPING_ALONE = 'Stripe warns that shipping proof alone does not show the buyer was the cardholder.';

/**
 * The field set of the fraud lists, per variant, which unrecognized repeats: at `level` with `tail`
 * after each item's own reason (and `group` on each, where one of them is enough).
 */
function cardholderEvidence(
  level: EvidenceRequirementLevel,
  tail: string,
  uncategorizedWhy: string,
  sources: readonly string[],
  group?: string,
): GuidanceItemSpec[] {
  const at = level === 'REQUIRED' ? required : recommended;
  const item = (field: GuidanceItemSpec['field'], why: string, variants: readonly GoodsVariant[], extra: readonly string[] = []) =>
    at(field, `${why} ${tail}`, [...sources, ...extra], { variants, ...(group && { group }) });
  return [
    item(
      'customerCommunication',
      'Communication that links the cardholder to the purchase (for goods: the recipient to the cardholder, or the cardholder holding them).',
      PHYSICAL_OR_SERVICE,
    ),
    item('customerSignature', "The cardholder's signature (for goods, at pickup or delivery with the ID shown).", PHYSICAL_OR_SERVICE),
    item(
      'shippingAddress',
      'The shipping address, which counts only if it equals an AVS-verified billing address or a business tied to the cardholder.',
      PHYSICAL,
    ),
    item('shippingDocumentation', `Proof of shipment. ${SHIPPING_ALONE}`, PHYSICAL, ['S-BP']),
    item('shippingDate', `The date it shipped. ${SHIPPING_ALONE}`, PHYSICAL, ['S-BP']),
    item('shippingCarrier', `The carrier. ${SHIPPING_ALONE}`, PHYSICAL, ['S-BP']),
    item('shippingTrackingNumber', `The tracking number. ${SHIPPING_ALONE}`, PHYSICAL, ['S-BP']),
    item('customerPurchaseIp', 'The IP address the purchase came from.', DIGITAL),
    item('customerName', "The customer's name on the purchase.", DIGITAL),
    item('customerEmailAddress', "The customer's email address on the purchase.", DIGITAL),
    item('accessActivityLog', 'Access or download after payment, with IP addresses and timestamps.', DIGITAL),
    item('serviceDate', 'When the service was provided.', SERVICE),
    item(
      'serviceDocumentation',
      'Proof the service was provided; for travel, a ticket sent to the billing address, related purchases such as upgrades or baggage, loyalty records.',
      SERVICE,
    ),
    ...(['uncategorizedText', 'uncategorizedFile'] as const).map((f) => at(f, `${uncategorizedWhy} ${tail}`, sources, { group: group ?? 'uncategorized' })),
  ];
}

const FRAUDULENT = reasonGuidance(
  'The cardholder says they did not authorize the payment (a stolen card, or one they fail to recognize): the most common category and a hard one to win, which Stripe advises accepting if it really was fraud. Answer with evidence that the cardholder, or someone they authorized, made the purchase; 3-D Secure shifts liability (Stripe adds the ECI itself), and Visa 10.5 (fraud monitoring program) accepts no evidence.',
  ['S-CAT', 'S-BP', 'S-RESP', 'S-FRAUD'],
  withBackground([
    ...cardholderEvidence(
      'REQUIRED',
      COMPELLING,
      'Other compelling evidence: a signed mail or phone order form, a purchase by a household member, earlier undisputed payments on the same card, earlier fraud disputes on the card before the issuer approved this one, a CVC the issuer approved despite cvc_check fail or unchecked, a recurring contract with usage; for digital goods also the device location and device ID or name.',
      ['S-CAT', 'S-BP'],
      'compelling-evidence',
    ),
    recommended(
      'enhancedEvidence.visaCompellingEvidence3.priorUndisputedTransactions',
      "Two earlier undisputed payments on the same card, 120 to 365 days old and matching the customer's identifiers, qualify a Visa card-absent fraud dispute (10.4) for Visa Compelling Evidence 3.0, which Stripe says raises the odds significantly. Only where Stripe reports the dispute eligible (evidence_details.enhanced_eligibility, enhanced_eligibility_types); Stripe pre-fills qualifying prior charges where it can.",
      ['S-CE3', 'S-CE3-FAQ', 'S-CAT', 'SN'],
    ),
  ]),
  { byVariant: true },
);

const UNRECOGNIZED = reasonGuidance(
  'The cardholder does not recognize the statement entry; Stripe treats it as effectively the same as fraudulent. Overturn by showing the real cardholder, or someone they authorized (an employee, family), paid, or with a refund or a withdrawal.',
  CAT,
  withBackground(
    cardholderEvidence(
      'RECOMMENDED',
      'It shows who made the purchase (Stripe lists the same fields as for fraud, without Compelling Evidence tags).',
      'Other proof: that the cardholder or someone they authorized paid, a refund, or a withdrawal or acknowledgement of the payment.',
      CAT,
    ),
  ),
  { byVariant: true },
);

const PRODUCT_NOT_RECEIVED = reasonGuidance(
  'The customer says the goods or service never arrived. Overturn by proving delivery (or that it is not yet due), a refund, or a withdrawal.',
  ['S-CAT', 'S-BP'],
  withBackground([
    recommended(
      'shippingDocumentation',
      'Proof of shipment and delivery, with the full delivery address rather than only the city and postcode.',
      ['S-CAT', 'S-BP'],
      {
        variants: PHYSICAL,
      },
    ),
    recommended('shippingTrackingNumber', "The tracking number; Stripe expands it into the carrier's detail when it compiles the evidence.", CAT, {
      variants: PHYSICAL,
    }),
    recommended('shippingCarrier', 'The carrier that delivered it.', CAT, { variants: PHYSICAL }),
    recommended('shippingDate', 'The date it shipped.', CAT, { variants: PHYSICAL }),
    recommended('shippingAddress', 'Where it went: an AVS-verified address, or a business linked to the cardholder.', CAT, { variants: PHYSICAL }),
    recommended('customerSignature', 'A signature on delivery or pickup, with the ID shown.', CAT, { variants: PHYSICAL_OR_SERVICE }),
    recommended('customerCommunication', 'Communication about the order; say plainly if the customer never contacted you.', CAT),
    recommended('customerPurchaseIp', 'The IP address the purchase came from.', CAT, { variants: DIGITAL }),
    recommended('customerName', "The customer's name on the purchase.", CAT, { variants: DIGITAL }),
    recommended('customerEmailAddress', "The customer's email address on the purchase.", CAT, { variants: DIGITAL }),
    recommended('accessActivityLog', 'IP or system logs showing the download or use after purchase.', ['S-CAT', 'S-BP'], { variants: DIGITAL }),
    recommended('serviceDate', 'When the service was provided.', CAT, { variants: SERVICE }),
    recommended('serviceDocumentation', 'Proof the service was provided.', CAT, { variants: SERVICE }),
    ...uncategorized(
      'Other proof: that the cardholder has the goods, that the delivery date is not yet reached, partial shipments and the value not received, a customs hold, a refund, or a withdrawal.',
    ),
  ]),
  { byVariant: true },
);

const PRODUCT_UNACCEPTABLE = reasonGuidance(
  'The customer says the item arrived defective, damaged or not as described before purchase. Overturn by showing it was represented accurately and was not defective, or with a refund or a withdrawal.',
  CAT,
  withBackground([
    recommended('productDescription', 'How the product was described and shown before purchase.', CAT),
    recommended('customerCommunication', 'Communication with the customer about the complaint.', CAT),
    recommended('refundPolicy', 'Your refund policy; Stripe warns the issuer may or may not weigh it for this category.', CAT),
    recommended(
      'refundPolicyDisclosure',
      'How the refund policy was shown before purchase; Stripe warns the issuer may or may not weigh it for this category.',
      CAT,
    ),
    recommended('accessActivityLog', 'For digital goods, the logs of access and use.', CAT, { variants: DIGITAL }),
    ...uncategorized(
      'How the product was shown before purchase (the file), and other facts: whether it was returned, partial use against the disputed amount, a replacement given, a refund, or a withdrawal.',
    ),
  ]),
  { byVariant: true },
);

const SUBSCRIPTION_CANCELED = reasonGuidance(
  'The customer says they were charged after cancelling a subscription. Overturn by showing the subscription was active and the customer knew of the cancellation procedure and did not follow it, or with a refund or a withdrawal.',
  CAT,
  withBackground([
    recommended('cancellationPolicy', 'Your cancellation policy.', CAT),
    recommended('cancellationPolicyDisclosure', 'How and when the cancellation policy was shown before purchase.', CAT),
    recommended('cancellationRebuttal', 'Why the subscription was not cancelled, or why this charge is still valid.', CAT),
    recommended('customerCommunication', 'A renewal notice, or the customer acknowledging use after the claimed cancellation.', CAT),
    recommended('serviceDate', 'When the service was provided.', CAT, { variants: SERVICE }),
    recommended('serviceDocumentation', 'Proof the service was provided.', CAT, { variants: SERVICE }),
    ...uncategorized(
      'Other facts: use before billing, partial use, a cancellation set for a future date, an installment rather than a recurring charge (some networks allow this reason only for true recurring charges), a refund, a replacement, or a withdrawal; for digital goods, the spending or usage controls offered.',
    ),
  ]),
  { byVariant: true },
);

const DUPLICATE = reasonGuidance(
  'The customer says they were charged more than once for the same thing. Overturn by showing each payment bought something different, or with a refund or a withdrawal.',
  CAT,
  withBackground([
    recommended('duplicateChargeId', 'The earlier charge; where no prior charge exists the Dashboard refuses this field, so use the others.', CAT),
    recommended('duplicateChargeExplanation', 'Why the two payments are not duplicates.', CAT),
    recommended(
      'duplicateChargeDocumentation',
      'Documentation that uniquely identifies the prior payment, paired with matching documentation for the disputed one (a packing list if they shipped together).',
      CAT,
    ),
    recommended('shippingDocumentation', 'Shipping documentation for the goods of each payment.', CAT, { variants: PHYSICAL }),
    recommended('serviceDocumentation', 'Documentation of the service each payment bought.', CAT, { variants: SERVICE }),
    recommended('customerCommunication', 'Communication with the customer about the payments.', CAT),
    ...uncategorized('Separate itemized receipts, a refund, or a withdrawal.'),
  ]),
  { byVariant: true },
);

const CREDIT_NOT_PROCESSED = reasonGuidance(
  'The customer says they returned the item, did not fully use it, or the purchase was cancelled, and expected a refund or credit that never came. Overturn by showing the refund was already made, the customer is not entitled to one, or the dispute was withdrawn.',
  CAT,
  withBackground([
    recommended('refundPolicy', 'Your refund policy.', CAT),
    recommended('refundPolicyDisclosure', 'How the refund policy was shown before purchase.', CAT),
    recommended('refundRefusalExplanation', 'Why no refund or credit is owed.', CAT),
    recommended('customerCommunication', 'Communication with the customer about the return, cancellation or refund.', CAT),
    recommended('cancellationPolicy', 'Your cancellation policy.', CAT, { variants: DIGITAL_OR_SERVICE }),
    recommended('cancellationPolicyDisclosure', 'How the cancellation policy was shown before purchase.', CAT, { variants: DIGITAL_OR_SERVICE }),
    recommended('cancellationRebuttal', 'Why the cancellation does not entitle the customer to a refund.', CAT, { variants: DIGITAL_OR_SERVICE }),
    ...uncategorized('A refund already made, whether and how much was returned or used, a disputed amount above the unused portion, or a withdrawal.'),
  ]),
  { byVariant: true },
);

const NO_FIELD_LIST =
  "Stripe's category page gives no field list or ranking for this category (unconfirmed), so the field is an inference from its reason-code examples.";
const GENERAL = reasonGuidance(
  "An uncategorized claim (Visa 11.x, 12.1-12.5, 12.7, 13.8, the retrieval codes 28/30/34, and many Mastercard, Amex and Discover processing codes); Stripe says to contact the customer to learn why, and calls it rare for cards. Stripe's category page gives no evidence list for it (unconfirmed); the items follow its reason-code page's examples.",
  ['S-CAT', 'S-RC'],
  withBackground([
    recommended('receipt', `An itemized receipt (base, tax, fees, discounts), as Stripe's example for Visa 12.5 (incorrect amount) asks. ${NO_FIELD_LIST}`, [
      'S-RC',
      'S-CAT',
    ]),
    recommended('productDescription', `The pricing and description shown before purchase (Stripe's example for Visa 12.5). ${NO_FIELD_LIST}`, [
      'S-RC',
      'S-CAT',
    ]),
    recommended(
      'customerCommunication',
      `Communication with the customer before the purchase and about the claim (Stripe's example for Visa 12.5). ${NO_FIELD_LIST}`,
      ['S-RC', 'S-CAT'],
    ),
    ...uncategorized(
      `Transaction and system logs showing the amount sent and any correction attempts (Stripe's examples for Visa 12.5 and 12.2). ${NO_FIELD_LIST}`,
      ['S-RC', 'S-CAT'],
    ),
  ]),
);

const NONCOMPLIANT = reasonGuidance(
  "The issuer says the transaction broke Visa's or Mastercard's rules (a compliance dispute; Visa calls issuer filings pre-compliance). To contest, acknowledge the network's fee of 500 USD or the local equivalent, on top of Stripe's dispute fees and refunded if you win; otherwise the dispute can only be closed, which costs no network fee. What evidence answers the claimed violation: Stripe publishes no guidance (unconfirmed).",
  ['S-CAT', 'S-VC', 'S-MC'],
  withBackground([
    required(
      'enhancedEvidence.visaCompliance.feeAcknowledged',
      'For a Visa compliance dispute (visa_compliance in enhanced_eligibility_types), evidence can be submitted only with the fee acknowledged; Stripe advises checking enhanced_eligibility_types before submitting automatically. What evidence then answers the claimed violation is unconfirmed.',
      ['S-CAT', 'S-VC', 'S-CL-MC', 'SN'],
      { group: 'fee-acknowledgement' },
    ),
    required(
      'enhancedEvidence.mastercardCompliance.feeAcknowledged',
      'For a Mastercard compliance dispute (mastercard_compliance in enhanced_eligibility_types), evidence can be submitted only with the fee acknowledged; the fee is collected asynchronously. What evidence then answers the claimed violation is unconfirmed.',
      ['S-CAT', 'S-MC', 'S-CL-MC', 'SN'],
      { group: 'fee-acknowledgement' },
    ),
  ]),
);

const ACH_SEPA_FINAL = 'Stripe says ACH Direct Debit and SEPA Direct Debit disputes are final, with no appeal: resolve them with the customer directly.';
const BANK_SOURCES = ['SN', 'S-ACH', 'S-SEPA'];
/** A reason Stripe gives no evidence guidance for, treated as a bank debit's (final). */
const bankDebit = (summary: string, sources: readonly string[]): ReasonGuidance =>
  reasonGuidance(summary, sources, [], {
    notContestable: `Stripe publishes no evidence guidance for this reason, and which payment methods report it is unconfirmed; it is treated as a bank-debit reason. ${ACH_SEPA_FINAL}`,
  });

const BANK_DEBIT: Partial<Record<DisputeReason, ReasonGuidance>> = {
  DEBIT_NOT_AUTHORIZED: reasonGuidance(
    "The bank will not proceed because the debit was not authorized (Shopify's description; for ACH, NACHA allows only no or revoked authorization, a debit earlier than authorized, or a different amount).",
    ['SN', 'SHOP', 'S-ACH', 'S-SEPA'],
    [],
    {
      notContestable: `${ACH_SEPA_FINAL} For ACH the mandate is invalidated, and a second dispute blocks the bank account. That this reason comes from ACH or SEPA is an inference (unconfirmed).`,
    },
  ),
  INSUFFICIENT_FUNDS: reasonGuidance(
    "The customer's bank account lacked funds (Shopify's description); Stripe notes that on SEPA a bank can reclaim funds as a dispute when the account is frozen or underfunded.",
    ['SN', 'SHOP', 'S-SEPA'],
    [],
    {
      notContestable:
        'Stripe says SEPA Direct Debit disputes are final, with no appeal, and gives no evidence guidance for this reason. That this reason comes from SEPA is an inference (unconfirmed).',
    },
  ),
  BANK_CANNOT_PROCESS: bankDebit("The customer's bank cannot process the charge (Shopify's description; Stripe's is unconfirmed).", [...BANK_SOURCES, 'SHOP']),
  CHECK_RETURNED: bankDebit('No description of this reason was found (unconfirmed).', BANK_SOURCES),
  CUSTOMER_INITIATED: bankDebit("The customer started the dispute; contact them for the reason (Shopify's description; Stripe's is unconfirmed).", [
    ...BANK_SOURCES,
    'SHOP',
  ]),
  INCORRECT_ACCOUNT_DETAILS: bankDebit("The account tied to the purchase is wrong (Shopify's description; Stripe's is unconfirmed).", [
    ...BANK_SOURCES,
    'SHOP',
  ]),
};

const FALLBACK = reasonGuidance(
  "A reason the gateway does not map yet (the provider's raw value is in providerReason): Stripe's guidance for it is unknown, so only the background Stripe asks for in every category is listed.",
  ['SN', 'S-CAT'],
  BACKGROUND,
);

const STRIPE_GUIDANCE: GuidanceTable = {
  reasons: {
    FRAUDULENT,
    UNRECOGNIZED,
    PRODUCT_NOT_RECEIVED,
    PRODUCT_UNACCEPTABLE,
    SUBSCRIPTION_CANCELED,
    DUPLICATE,
    CREDIT_NOT_PROCESSED,
    GENERAL,
    NONCOMPLIANT,
    ...BANK_DEBIT,
  },
  fallback: FALLBACK,
  sources: STRIPE_GUIDANCE_SOURCES,
};

/** Stripe's table; with `provenance`, as a Stripe-shaped provider's that publishes no guidance of its own. */
export const stripeGuidance = (provenance?: Provenance): GuidanceTable => (provenance ? withProvenance(STRIPE_GUIDANCE, provenance) : STRIPE_GUIDANCE);

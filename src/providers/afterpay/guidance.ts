// Afterpay's evidence guidance, as reviewed data: its respond endpoint's eleven fields (as the gateway
// names them) and its one supported reason, goods not received. Afterpay publishes no guidance per
// reason, so the levels for that reason follow Stripe's guidance for it, and say so.
import type { DisputeReason } from '../../domain/dispute.js';
import { optional, reasonGuidance, recommended, type GuidanceItemSpec, type GuidanceTable, type ReasonGuidance } from '../guidance.js';
import { AFTERPAY_EVIDENCE_FIELDS } from './transformers.js';

type AfterpayField = (typeof AFTERPAY_EVIDENCE_FIELDS)[number];

const SOURCES: Readonly<Record<string, string>> = {
  'AP-GUIDE': 'https://developers.afterpay.com/afterpay-online-developer/guides/api-development/disputes',
  'AP-RESP': 'https://developers.afterpay.com/afterpay-online-developer/api-reference/reference/disputes/respond-to-dispute',
  'AP-HUB': 'https://developers.afterpay.com/afterpay-online-developer/guides/api-development/disputes/manage-disputes-in-the-business-hub',
  'AP-HELP':
    'https://help.business.afterpay.com/hc/en-us/articles/9879224850841-Handling-Disputes-in-the-Business-Hub and https://www.afterpay.com/en-AU/help-merchant/9879224850841-Handling-disputes-in-the-Business-Hub',
  'AP-OAS': 'api-evangelist/cash-app openapi/cash-app-disputes-openapi.json',
  CP: 'https://developers.clearpay.co.uk/accepting-or-contesting-a-dispute and https://developers.clearpay.co.uk/disputes-overview',
  'S-CAT': 'https://docs.stripe.com/disputes/categories',
};

/** Each field as Afterpay's respond endpoint describes it, with its limit where documented, and where that is said. */
const FIELDS: Record<AfterpayField, { what: string; sources: readonly string[] }> = {
  productDescription: { what: 'What was ordered (text, up to 5,000 characters).', sources: ['AP-RESP', 'AP-OAS'] },
  refundPolicy: { what: 'Your refund policy (a file).', sources: ['AP-RESP', 'AP-OAS'] },
  refundPolicyDisclosure: { what: 'How the refund policy was shown to the customer (text; its limit is unconfirmed).', sources: ['AP-OAS'] },
  refundRefusalExplanation: { what: 'Why no refund is owed (text; its limit is unconfirmed).', sources: ['AP-OAS'] },
  shippingDocumentation: { what: 'A shipping label or receipt (a file).', sources: ['AP-RESP', 'AP-OAS'] },
  shippingAddress: { what: 'Where it was delivered (text, up to 5,000 characters).', sources: ['AP-RESP'] },
  shippingDate: { what: 'When it shipped, human-readable and before the dispute date (text, up to 5,000 characters).', sources: ['AP-RESP'] },
  shippingCarrier: { what: 'The carrier, several separated by commas (text, up to 5,000 characters).', sources: ['AP-RESP'] },
  shippingTrackingNumber: { what: 'The tracking number (text; its limit is unconfirmed).', sources: ['AP-RESP', 'AP-OAS'] },
  uncategorizedFile: {
    what: 'Anything else, as a file: Afterpay has no field for customer communication, a signature, IP addresses or access logs, so they go here (an inference).',
    sources: ['AP-OAS'],
  },
  uncategorizedText: {
    what: 'Anything else, as text (its limit is unconfirmed): Afterpay has no field for customer communication, a signature, IP addresses or access logs, so they go here (an inference).',
    sources: ['AP-OAS'],
  },
};

const field = (f: AfterpayField, level: typeof optional, why: string, extra: readonly string[] = []): GuidanceItemSpec =>
  level(f, `${FIELDS[f].what} ${why}`, [...FIELDS[f].sources, ...extra]);

const DELIVERY =
  "Proof of shipment and delivery is what answers goods not received in Stripe's guidance; Afterpay publishes no guidance of its own (unconfirmed).";
const UNCATEGORIZED =
  'For goods not received, Stripe lists proof the customer has the goods, a delivery signature and communication; Afterpay publishes no per-reason guidance (unconfirmed).';
const NOT_LISTED = "Afterpay publishes no per-reason guidance (unconfirmed), and Stripe's for goods not received does not list it.";

const PRODUCT_NOT_RECEIVED = reasonGuidance(
  'The customer says the goods never arrived ("goods not received" in Afterpay\'s portal, the one reason it supports today); answer with proof of shipment and delivery, read against the customer\'s opening note, which Afterpay says explains what the reason code alone does not. Afterpay takes one submission of at least one field, within 13 days of notification, or refunds the customer and reverses the merchant.',
  ['AP-GUIDE', 'AP-HUB', 'AP-OAS', 'AP-RESP', 'AP-HELP', 'CP'],
  [
    field('shippingDocumentation', recommended, DELIVERY, ['S-CAT']),
    field('shippingTrackingNumber', recommended, DELIVERY, ['S-CAT']),
    field('shippingCarrier', recommended, DELIVERY, ['S-CAT']),
    field('shippingDate', recommended, DELIVERY, ['S-CAT']),
    field('shippingAddress', recommended, DELIVERY, ['S-CAT']),
    { ...field('uncategorizedFile', recommended, UNCATEGORIZED, ['S-CAT']), group: 'uncategorized' },
    { ...field('uncategorizedText', recommended, UNCATEGORIZED, ['S-CAT']), group: 'uncategorized' },
    field(
      'productDescription',
      optional,
      "Stripe asks for the product's description as background in every category; Afterpay publishes no per-reason guidance (unconfirmed).",
      ['S-CAT'],
    ),
    field(
      'refundRefusalExplanation',
      optional,
      "Proof the customer was compensated before the dispute discredits it in Stripe's guidance; Afterpay publishes no per-reason guidance (unconfirmed).",
      ['S-CAT'],
    ),
    field('refundPolicy', optional, NOT_LISTED, ['S-CAT']),
    field('refundPolicyDisclosure', optional, NOT_LISTED, ['S-CAT']),
  ],
);

/** A reason Afterpay lists but says nothing about: every field it takes, none ranked. */
function unguided(summary: string, extraSources: readonly string[] = []): ReasonGuidance {
  return reasonGuidance(
    `${summary} What the customer claims and which evidence answers it, Afterpay does not say (unconfirmed); read the customer's opening note, which Afterpay says explains what the reason code alone does not.`,
    ['AP-GUIDE', 'AP-HUB', 'AP-OAS', 'AP-HELP', ...extraSources],
    AFTERPAY_EVIDENCE_FIELDS.map((f) => field(f, optional, 'Afterpay publishes no evidence guidance for this reason (unconfirmed).')),
  );
}

const listed = (raw: string) => unguided(`Afterpay's reference lists the reason ${raw}, but says only product_not_received is raised today.`);

const REASONS: Partial<Record<DisputeReason, ReasonGuidance>> = {
  PRODUCT_NOT_RECEIVED,
  PRODUCT_UNACCEPTABLE: listed('product_unacceptable'),
  CREDIT_NOT_PROCESSED: listed('credit_not_processed'),
  ORDER_CANCELED: listed('order_canceled'),
  DUPLICATE: listed('duplicate'),
  INCORRECT_AMOUNT: listed('incorrect_amount'),
  PAID_BY_OTHER_MEANS: unguided(
    "Afterpay's reference lists the reason paid_by_other_means, and a Clearpay example shows it, but Afterpay says only product_not_received is raised today.",
    ['CP'],
  ),
  FRAUDULENT: listed('fraudulent'),
  FRAUDULENT_MERCHANT: listed('fraudulent_merchant'),
};

export const guidance: GuidanceTable = {
  reasons: REASONS,
  fallback: unguided("A reason the gateway does not map yet (Afterpay's raw value is in providerReason)."),
  sources: SOURCES,
};

// Afterpay's own GraphQL types. Codegen reads this file beside schema/*.graphql.
export const detailsType = 'AfterpayDisputeDetails';

export const typeDefs = /* GraphQL */ `
  "Afterpay's own fields of a dispute."
  type AfterpayDisputeDetails {
    "The token of the order the dispute is for."
    order: String
    "The merchant's own id for the order."
    merchantOrderId: String
    "The customer's description of why they opened the dispute."
    openingNote: String
    "Ids of files the customer attached to the opening note."
    openingNoteAttachments: [String!]
    "How the decision was reached (merchant_accepted, evidence_accepted, evidence_rejected, deadline_expired, customer_cancelled)."
    closingReason: String
    "Details of the decision."
    closingNote: String
    "When the customer placed the order."
    transactionDate: DateTime
    "True until a final decision is made."
    open: Boolean
    "The settlement amount for audit, in minor units of the dispute's currency."
    settlementAmount: Int
    "When the dispute last changed."
    updatedAt: DateTime
    "Extra data to match the payment."
    orderMeta: DisputeOrderMeta
  }

  extend union DisputeProviderDetails = AfterpayDisputeDetails
`;

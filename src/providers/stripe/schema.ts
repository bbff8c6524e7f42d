// Stripe's own GraphQL types. Codegen reads this file beside schema/*.graphql.
export const detailsType = 'StripeDisputeDetails';

export const typeDefs = /* GraphQL */ `
  "Stripe's own fields of a dispute."
  type StripeDisputeDetails {
    "Enhanced evaluation programs this dispute is eligible for, e.g. \`visa_compelling_evidence_3\`."
    enhancedEligibilityTypes: [String!]!
  }

  extend union DisputeProviderDetails = StripeDisputeDetails
`;

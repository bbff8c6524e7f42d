// Flex's own GraphQL types. Codegen reads this file beside schema/*.graphql.
export const detailsType = 'FlexDisputeDetails';

export const typeDefs = /* GraphQL */ `
  "Flex's own fields of a dispute."
  type FlexDisputeDetails {
    "The merchant's reference for the payment."
    clientReferenceId: String
    "The id of the underlying Stripe dispute, where Flex reports it."
    stripeDisputeId: String
  }

  extend union DisputeProviderDetails = FlexDisputeDetails
`;

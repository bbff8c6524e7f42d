// WooshPay's own GraphQL types. Codegen reads this file beside schema/*.graphql.
export const detailsType = 'WooshPayDisputeDetails';

export const typeDefs = /* GraphQL */ `
  "WooshPay's own fields of a dispute."
  type WooshPayDisputeDetails {
    "The network's reason category (Visa and Mastercard's four categories)."
    reasonType: String
    "The detailed description of the reason."
    reasonDescription: String
    "The network's reason code."
    reasonCode: String
  }

  extend union DisputeProviderDetails = WooshPayDisputeDetails
`;

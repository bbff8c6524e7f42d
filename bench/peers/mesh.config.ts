// The bench's peer: GraphQL Mesh composing Stripe's disputes OpenAPI (the same document the
// project's contract tests read) into a supergraph, which Hive Gateway serves against the Stripe
// fake. `STRIPE_API_BASE` and `STRIPE_BASIC` are read by the gateway at run time.
import { defineConfig } from '@graphql-mesh/compose-cli';
import { loadOpenAPISubgraph } from '@omnigraph/openapi';

export const composeConfig = defineConfig({
  subgraphs: [
    {
      sourceHandler: loadOpenAPISubgraph('Stripe', {
        source: '../../test/fixtures/stripe/disputes-openapi.json',
        endpoint: '{env.STRIPE_API_BASE}',
        operationHeaders: { Authorization: 'Basic {env.STRIPE_BASIC}' },
      }),
    },
  ],
});

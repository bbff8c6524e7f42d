// The executable schema: schema/*.graphql (the contract), every registered provider's own types
// (its folder's schema.ts), and the enum values of providers registered beyond the SDL's.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { Dispute } from '../domain/dispute.js';
import { PROVIDER_DEFINITIONS } from '../providers/registry.js';
import type { ProviderDefinition } from '../providers/types.js';
import { orderMetaOf, resolvers } from './resolvers.js';
import { eventResolvers } from './event-resolvers.js';

export const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url));

export function loadTypeDefs(dir = SCHEMA_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => readFileSync(join(dir, f), 'utf8'));
}

/** The names the SDL's enum DisputeProvider lists. */
const sdlProviders = (typeDefs: string[]) => new Set(/enum DisputeProvider \{([^}]*)\}/.exec(typeDefs.join('\n'))?.[1]?.match(/[A-Z][A-Z0-9_]*/g) ?? []);

export function buildSchema(definitions: readonly ProviderDefinition[] = PROVIDER_DEFINITIONS) {
  const base = loadTypeDefs();
  const inSdl = sdlProviders(base);
  const extra = definitions.map((d) => d.name).filter((n) => !inSdl.has(n));
  const detailsType = new Map(definitions.filter((d) => d.detailsType).map((d) => [d.name, d.detailsType!]));
  const typeDefs = [
    ...base,
    ...definitions.flatMap((d) => (d.typeDefs ? [d.typeDefs] : [])),
    ...(extra.length > 0 ? [`extend enum DisputeProvider { ${extra.join(' ')} }`] : []),
  ];
  const details = {
    Dispute: {
      // The provider's own fields, read from the dispute's extras by the provider's details type.
      details: (d: Dispute) => {
        const type = detailsType.get(d.provider);
        return type ? { __typename: type, ...d.extras, enhancedEligibilityTypes: d.enhancedEligibilityTypes, orderMeta: orderMetaOf(d) } : null;
      },
    },
    DisputeProviderDetails: { __resolveType: (o: { __typename: string }) => o.__typename },
  };
  return makeExecutableSchema({ typeDefs, resolvers: [resolvers, eventResolvers, details], inheritResolversFromInterfaces: true });
}

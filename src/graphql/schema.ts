// The executable schema: schema/*.graphql (the contract), every registered provider's own types
// (its folder's schema.ts), and the enum values of providers registered beyond the SDL's.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { Kind, parse } from 'graphql';
import type { Dispute } from '../domain/dispute.js';
import { PROVIDER_DEFINITIONS } from '../providers/registry.js';
import type { ProviderDefinition } from '../providers/types.js';
import { resolvers } from './resolvers.js';
import { eventResolvers } from './event-resolvers.js';
import { indexResolvers } from './index-resolvers.js';
import { guidanceResolvers } from './guidance-resolvers.js';

export const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url));

export function loadTypeDefs(dir = SCHEMA_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => readFileSync(join(dir, f), 'utf8'));
}

/** The fields of `type Dispute` in the SDL. */
function disputeFieldNames(typeDefs: string[]): Set<string> {
  for (const def of parse(typeDefs.join('\n')).definitions) {
    if (def.kind === Kind.OBJECT_TYPE_DEFINITION && def.name.value === 'Dispute') return new Set((def.fields ?? []).map((f) => f.name.value));
  }
  return new Set();
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
  // Each provider's own fields (its extraFields, read from Dispute.extras): in its details type, and
  // as the SDL's deprecated top-level Dispute fields of the same name (null on other providers' disputes).
  const own = new Map(definitions.map((d) => [d.name, d.extraFields ?? {}]));
  const ownFields = (d: Dispute) => Object.fromEntries(Object.entries(own.get(d.provider) ?? {}).map(([name, read]) => [name, read(d)]));
  const topLevel = disputeFieldNames(base);
  const deprecated = [...new Set(definitions.flatMap((d) => Object.keys(d.extraFields ?? {})))].filter((name) => topLevel.has(name));
  const details = {
    Dispute: {
      ...Object.fromEntries(deprecated.map((name) => [name, (d: Dispute) => own.get(d.provider)?.[name]?.(d) ?? null])),
      details: (d: Dispute) => {
        const type = detailsType.get(d.provider);
        return type ? { __typename: type, ...d.extras, enhancedEligibilityTypes: d.enhancedEligibilityTypes, ...ownFields(d) } : null;
      },
    },
    DisputeProviderDetails: { __resolveType: (o: { __typename: string }) => o.__typename },
  };
  return makeExecutableSchema({
    typeDefs,
    resolvers: [resolvers, eventResolvers, indexResolvers, guidanceResolvers, details],
    inheritResolversFromInterfaces: true,
  });
}

// Persisted (trusted) documents. A frontend's build writes a manifest of every operation it sends,
// by id (GraphQL Code Generator's client preset with `persistedDocuments: true` writes
// `persisted-documents.json`: `{ "<sha256 hex>": "<document>" }`; Apollo's persisted query manifest,
// `{ "format": "apollo-persisted-query-manifest", "operations": [{ "id", "body" }] }`, is read too).
// The client then sends only the id: `documentId` in the body (the client preset's way, with or
// without a `sha256:` prefix) or `extensions.persistedQuery.sha256Hash` (Apollo's way); both are
// accepted, as neither is a standard yet.
//
//   PERSISTED_DOCUMENTS=allow: ids and whole documents both run.
//   PERSISTED_DOCUMENTS=only:  only documents in the manifest run; anything else is refused before
//                              it is parsed (PERSISTED_DOCUMENTS_ONLY), on HTTP and WebSocket alike.
//
// Yoga's persisted-operations plugin does the HTTP side. Every manifest document is parsed and
// validated against the schema at startup: a bad manifest stops the gateway with the id at fault.
// Documents still pass yoga's parse and validation caches and the gateway's limits per request.
import { readFileSync } from 'node:fs';
import { GraphQLError, parse, validate, type GraphQLSchema } from 'graphql';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import type { Plugin } from 'graphql-yoga';
import { ConfigError } from '../providers/env.js';

/** Marks a plugin whose request-level work the direct path (http/yoga-adapter.ts) does itself. */
export const MIRRORED_ON_DIRECT_PATH = Symbol('mirroredOnDirectPath');

export interface PersistedDocuments {
  mode: 'allow' | 'only';
  documents: ReadonlyMap<string, string>;
}

/** Reads and checks a manifest (either format); throws ConfigError naming what is wrong. */
export function loadPersistedDocuments(file: string, mode: 'allow' | 'only', schema: GraphQLSchema): PersistedDocuments {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`PERSISTED_DOCUMENTS_FILE ${file}: ${(err as Error).message}`);
  }
  const entries: [string, unknown][] =
    raw && typeof raw === 'object' && (raw as { format?: unknown }).format === 'apollo-persisted-query-manifest'
      ? ((raw as { operations?: { id?: unknown; body?: unknown }[] }).operations ?? []).map((o) => [String(o.id), o.body])
      : Object.entries((raw ?? {}) as Record<string, unknown>);
  const documents = new Map<string, string>();
  for (const [id, body] of entries) {
    if (typeof body !== 'string') throw new ConfigError(`PERSISTED_DOCUMENTS_FILE ${file}: document ${id} is not a string`);
    let errors: readonly GraphQLError[];
    try {
      errors = validate(schema, parse(body));
    } catch (err) {
      errors = [err as GraphQLError];
    }
    if (errors.length > 0)
      throw new ConfigError(`PERSISTED_DOCUMENTS_FILE ${file}: document ${id} does not validate against the schema: ${errors[0]!.message}`);
    documents.set(normalizeId(id), body);
  }
  if (documents.size === 0) throw new ConfigError(`PERSISTED_DOCUMENTS_FILE ${file}: no documents`);
  return { mode, documents };
}

const normalizeId = (id: string) => id.replace(/^sha256:/i, '').toLowerCase();

/** The id a request names, by either convention, or null. */
export function documentIdOf(params: { extensions?: unknown; documentId?: unknown }): string | null {
  if (typeof params.documentId === 'string' && params.documentId) return normalizeId(params.documentId);
  const hash = (params.extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | undefined)?.persistedQuery;
  return hash && hash.version === 1 && typeof hash.sha256Hash === 'string' ? normalizeId(hash.sha256Hash) : null;
}

const refusal = (message: string, code: string) => ({ message, extensions: { code, http: { status: 400 } } });
export const PERSISTED_ERRORS = {
  only: refusal(
    "This gateway runs only persisted documents: send the document's id (documentId, or extensions.persistedQuery.sha256Hash), not the document.",
    'PERSISTED_DOCUMENTS_ONLY',
  ),
  idRequired: refusal(
    'Send a query, or the id of a persisted document (documentId, or extensions.persistedQuery.sha256Hash).',
    'PERSISTED_DOCUMENT_ID_REQUIRED',
  ),
  notFound: refusal('No persisted document has this id.', 'PERSISTED_DOCUMENT_NOT_FOUND'),
};

/**
 * For the HTTP side: yoga's persisted-operations plugin, with either id convention. The direct path
 * (http/yoga-adapter.ts) does the same for plain POSTs by `persistedDocumentFor`, leaving every
 * refusal to this plugin on yoga's way; hence the mark.
 */
export function persistedDocumentsPlugin(p: PersistedDocuments): Plugin {
  const plugin = usePersistedOperations({
    allowArbitraryOperations: p.mode === 'allow',
    extractPersistedOperationId: (params) => documentIdOf(params as never),
    getPersistedOperation: (id) => p.documents.get(id) ?? null,
    customErrors: { persistedQueryOnly: PERSISTED_ERRORS.only, keyNotFound: PERSISTED_ERRORS.idRequired, notFound: PERSISTED_ERRORS.notFound },
  }) as Plugin;
  return Object.assign(plugin, { [MIRRORED_ON_DIRECT_PATH]: true });
}

/**
 * For WebSocket and the direct path: the document an operation runs, or why not, by the plugin's
 * own rule: a document given decides (run in `allow`, refused in `only`); else the id must name one.
 */
export function persistedDocumentFor(p: PersistedDocuments, params: { query?: unknown; documentId?: unknown; extensions?: unknown }): string | GraphQLError {
  const err = (e: typeof PERSISTED_ERRORS.only) => new GraphQLError(e.message, { extensions: { code: e.extensions.code } });
  if (typeof params.query === 'string' && params.query !== '') return p.mode === 'allow' ? params.query : err(PERSISTED_ERRORS.only);
  const id = documentIdOf(params);
  if (id === null) return err(PERSISTED_ERRORS.idRequired);
  return p.documents.get(id) ?? err(PERSISTED_ERRORS.notFound);
}

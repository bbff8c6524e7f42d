// Persisted documents (graphql/persisted.ts): with PERSISTED_DOCUMENTS=only the gateway runs the
// manifest's documents, named by id in either convention, and refuses anything else before parsing
// it, on HTTP and WebSocket alike; with `allow` both run; a manifest that does not validate stops
// the gateway at startup, naming the document.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { persistedDocumentFor } from '../../src/graphql/persisted.js';
import { providersFromEnv } from '../../src/providers/registry.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/server.js';
import { wsSubscribe } from '../helpers/events.js';

const PAGE = 'query Page { disputes(first: 3) { nodes { id status } } }';
const EVENTS = 'subscription Events { disputeEvents { id type } }';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const dir = mkdtempSync(join(tmpdir(), 'persisted-'));
const manifest = join(dir, 'persisted-documents.json');
writeFileSync(manifest, JSON.stringify({ [sha(PAGE)]: PAGE, [sha(EVENTS)]: EVENTS }));

let sandbox: Sandbox;
let providers: GatewayOptions['providers'];
let only: Gateway;
let allow: Gateway;
const logger = createLogger({ write: () => {} });

beforeAll(async () => {
  sandbox = await startSandbox(42, { count: 10 });
  providers = providersFromEnv(sandbox.env);
  only = await startGateway({ providers, logger, port: 0, persistedDocuments: { mode: 'only', file: manifest } });
  allow = await startGateway({ providers, logger, port: 0, persistedDocuments: { mode: 'allow', file: manifest } });
});
afterAll(async () => {
  await only?.close();
  await allow?.close();
  await sandbox?.close();
});

async function post(url: string, body: unknown) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } };
}

describe('PERSISTED_DOCUMENTS=only', () => {
  it.each([
    ['documentId', { documentId: sha(PAGE) }],
    ['documentId with the sha256: prefix', { documentId: `sha256:${sha(PAGE)}` }],
    ['extensions.persistedQuery.sha256Hash', { extensions: { persistedQuery: { version: 1, sha256Hash: sha(PAGE) } } }],
  ])('runs a manifest document named by %s', async (_name, body) => {
    const r = await post(only.url, body);
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.disputes.nodes).toHaveLength(3);
  });

  it.each([
    ['a whole document, even one in the manifest', { query: PAGE }, 'PERSISTED_DOCUMENTS_ONLY'],
    ['a document beside an id', { query: '{ __typename }', documentId: sha(PAGE) }, 'PERSISTED_DOCUMENTS_ONLY'],
    ['an id not in the manifest', { documentId: sha('{ __typename }') }, 'PERSISTED_DOCUMENT_NOT_FOUND'],
    ['neither', { variables: {} }, 'PERSISTED_DOCUMENT_ID_REQUIRED'],
  ])('refuses %s with a typed 400', async (_name, body, code) => {
    const r = await post(only.url, body);
    expect(r.status).toBe(400);
    expect(r.body.data).toBeUndefined();
    expect(r.body.errors?.[0]?.extensions?.code).toBe(code);
  });

  it('refuses a whole document over WebSocket too', async () => {
    const sub = await wsSubscribe(only.url, EVENTS);
    await sub.waitFor(1);
    expect(sub.payloads[0]!.errors?.[0]?.extensions?.code).toBe('PERSISTED_DOCUMENTS_ONLY');
    sub.close();
  });

  it('names WebSocket documents by id under the same rules', () => {
    const p = { mode: 'only' as const, documents: new Map([[sha(EVENTS), EVENTS]]) };
    expect(persistedDocumentFor(p, { query: '', extensions: { persistedQuery: { version: 1, sha256Hash: sha(EVENTS) } } })).toBe(EVENTS);
    expect(persistedDocumentFor(p, { query: EVENTS })).toMatchObject({ extensions: { code: 'PERSISTED_DOCUMENTS_ONLY' } });
    expect(persistedDocumentFor(p, { query: '', extensions: { persistedQuery: { version: 1, sha256Hash: sha('x') } } })).toMatchObject({
      extensions: { code: 'PERSISTED_DOCUMENT_NOT_FOUND' },
    });
    expect(persistedDocumentFor({ ...p, mode: 'allow' }, { query: EVENTS })).toBe(EVENTS);
  });
});

describe('persisted documents on the direct path', () => {
  it.each(['only', 'allow'] as const)("keep plain POSTs on the direct path (%s), answering as yoga's own way does, refusals included", async (mode) => {
    const direct = mode === 'only' ? only : allow;
    expect(direct.directPath).toBe(true);
    const lean = await startGateway({ providers, logger, port: 0, fastPath: false, persistedDocuments: { mode, file: manifest } });
    try {
      expect(lean.directPath).toBe(false);
      const other = '{ disputes(first: 1) { nodes { id } } }';
      for (const body of [
        { documentId: sha(PAGE) },
        { extensions: { persistedQuery: { version: 1, sha256Hash: sha(PAGE) } } },
        { query: PAGE },
        { documentId: 'nope' },
        { documentId: sha(PAGE), extensions: { other: 1 } },
        // A document and an id both: the document decides (run in allow, refused in only).
        { query: other, documentId: sha(PAGE) },
        { query: other, extensions: { persistedQuery: { version: 1, sha256Hash: sha(PAGE) } } },
        {},
      ]) {
        const [a, b] = [await post(direct.url, body), await post(lean.url, body)];
        expect(a.status, JSON.stringify(body)).toBe(b.status);
        expect(a.body, JSON.stringify(body)).toEqual(b.body);
      }
    } finally {
      await lean.close();
    }
  });

  it("a response cache, which needs yoga's request hooks, turns the direct path off", async () => {
    const g = await startGateway({ providers, logger, port: 0, responseCache: { ttlMs: 1_000 } });
    try {
      expect(g.directPath).toBe(false);
    } finally {
      await g.close();
    }
  });
});

describe('PERSISTED_DOCUMENTS=allow', () => {
  it('runs manifest documents by id and whole documents both', async () => {
    expect((await post(allow.url, { documentId: sha(PAGE) })).body.data.disputes.nodes).toHaveLength(3);
    expect((await post(allow.url, { query: '{ disputes(first: 2) { nodes { id } } }' })).body.data.disputes.nodes).toHaveLength(2);
    expect((await post(allow.url, { documentId: sha('nope') })).body.errors?.[0]?.extensions?.code).toBe('PERSISTED_DOCUMENT_NOT_FOUND');
  });
});

describe('the manifest', () => {
  it("reads Apollo's persisted query manifest format as well", async () => {
    const apollo = join(dir, 'apollo.json');
    writeFileSync(
      apollo,
      JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: 'page-1', name: 'Page', type: 'query', body: PAGE }] }),
    );
    const g = await startGateway({ providers, logger, port: 0, persistedDocuments: { mode: 'only', file: apollo } });
    try {
      expect((await post(g.url, { documentId: 'page-1' })).body.data.disputes.nodes).toHaveLength(3);
    } finally {
      await g.close();
    }
  });

  it('stops the gateway at startup, naming the document, when one does not validate', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ [sha(PAGE)]: PAGE, abc123: '{ disputes(first: 1) { nodes { nope } } }' }));
    await expect(startGateway({ providers, logger, port: 0, persistedDocuments: { mode: 'only', file: bad } })).rejects.toThrow(
      /document abc123 does not validate.*nope/,
    );
  });
});

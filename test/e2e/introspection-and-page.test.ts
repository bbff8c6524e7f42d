// What tools ask first: the schema, by introspection (GraphiQL, graphql-js, Postman, codegen), and
// the GraphiQL page itself, compressed and cacheable.
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { getIntrospectionQuery, parse } from 'graphql';
import { DocumentMeter, fragmentsOf } from '../../src/graphql/limits.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseEncoding } from '../../src/http/compress.js';
import { startSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness.js';

let h: SandboxHarness;

beforeAll(async () => {
  h = await startSandboxHarness(42, { count: 10 });
});

afterAll(async () => {
  await h.close();
});

describe('introspection', () => {
  const ALL = { descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true, oneOf: true };
  it.each([
    ['graphql-js defaults', getIntrospectionQuery()],
    ['every option (GraphiQL, codegen)', getIntrospectionQuery(ALL)],
  ])('answers the %s introspection query, past the data depth limit', async (_, query) => {
    const res = await h.gql(query);
    expect(res.body.errors).toBeUndefined();
    const types = res.body.data.__schema.types.map((t: { name: string }) => t.name);
    expect(types).toContain('Dispute');
    const q = res.body.data.__schema.types.find((t: { name: string }) => t.name === 'Query');
    expect(q.fields.map((f: { name: string }) => f.name)).toContain('disputes');
  });

  it('still bounds a hostile query hiding inside __schema', async () => {
    const nested = '{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }';
    const res = await h.gql(nested);
    // graphql-js's own introspection-depth rule refuses it too; the gateway's says by how much.
    const ours = res.body.errors!.find((e) => e.extensions?.code === 'QUERY_TOO_DEEP')!;
    expect(ours.message).toMatch(/introspection is 10 fields deep with 5 lists nested/);
    expect(res.body.data ?? null).toBeNull();
    const ofType = `{ __type(name: "Dispute") { ${'ofType { '.repeat(40)}name${' }'.repeat(40)} } }`;
    const deep = await h.gql(ofType);
    expect(
      deep.body.errors!.map((e) => e.extensions?.code),
      deep.text,
    ).toContain('QUERY_TOO_DEEP');
  });

  it('does not let introspection lift the data depth limit', () => {
    const doc = parse(`{ __schema { types { fields { type { ofType { name } } } } } disputes(first: 1) { edges { node { evidenceDetails { dueBy } } } } }`);
    const op = doc.definitions[0]!;
    const shape = new DocumentMeter(fragmentsOf(doc)).measure(op.kind === 'OperationDefinition' ? op.selectionSet : undefined);
    expect(shape).toMatchObject({ depth: 5, introspectionDepth: 6, introspectionLists: 2 });
  });
});

describe('the GraphiQL page on the wire', () => {
  const get = (headers: Record<string, string>) => fetch(h.gateway.url, { headers: { accept: 'text/html', ...headers } });
  const raw = async (res: Response) => Buffer.from(await res.arrayBuffer());

  it('is served compressed as the browser accepts, identical once decoded, and revalidates with a 304', async () => {
    // fetch decodes on its own; ask through node:http-like semantics by reading the encoded bytes.
    const { request } = await import('node:http');
    const bytes = (encoding: string | null, extra: Record<string, string> = {}) =>
      new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
        const u = new URL(h.gateway.url);
        const req = request(
          { host: u.hostname, port: u.port, path: u.pathname, headers: { accept: 'text/html', ...(encoding && { 'accept-encoding': encoding }), ...extra } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const plain = await bytes(null);
    const br = await bytes('gzip, deflate, br, zstd');
    const gz = await bytes('gzip;q=1, br;q=0');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(br.headers['content-encoding']).toBe('br');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
    // Measured on the wire: the page is about 9 MB as it is; brotli makes it under a quarter.
    expect(plain.body.length).toBeGreaterThan(5_000_000);
    expect(br.body.length).toBeLessThan(plain.body.length / 4);
    expect(gz.body.length).toBeLessThan(plain.body.length / 3);
    console.log(`GraphiQL page on the wire: identity ${plain.body.length} B, gzip ${gz.body.length} B, brotli ${br.body.length} B`);
    expect(br.headers.vary).toBe('accept-encoding');
    const etag = br.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await bytes('br', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect((await raw(await get({}))).length).toBe(plain.body.length);
  });

  it('chooses encodings by q-value', () => {
    expect(chooseEncoding('gzip, br')).toBe('br');
    expect(chooseEncoding('br;q=0, gzip')).toBe('gzip');
    expect(chooseEncoding('*')).toBe('br');
    expect(chooseEncoding('identity')).toBe('identity');
    expect(chooseEncoding(undefined)).toBe('identity');
    expect(chooseEncoding('gzip;q=0, br;q=0')).toBe('identity');
  });
});

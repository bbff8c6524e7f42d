// Compressed answers (http/compress.ts): the best encoding the client accepts above the threshold,
// on both ways through to yoga, never for small answers, streams, or with compression off; and the
// bytes decompress to exactly the uncompressed answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import * as zlib from 'node:zlib';
import { createLogger } from '../../src/logger.js';
import { providersFromEnv } from '../../src/providers/registry.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startGateway, type Gateway } from '../../src/server.js';

let sandbox: Sandbox;
let gateway: Gateway;
let off: Gateway;
const hasZstd = typeof (zlib as { zstdDecompressSync?: unknown }).zstdDecompressSync === 'function';

beforeAll(async () => {
  sandbox = await startSandbox(42, { count: 30 });
  const providers = providersFromEnv(sandbox.env);
  const logger = createLogger({ write: () => {} });
  gateway = await startGateway({ providers, logger, port: 0 });
  off = await startGateway({ providers, logger, port: 0, compression: { enabled: false, minBytes: 1024 } });
});
afterAll(async () => {
  await gateway?.close();
  await off?.close();
  await sandbox?.close();
});

const PAGE = '{ disputes(first: 30) { nodes { id provider amount currency status reason evidence { customerName productDescription } } } }';
async function post(url: string, query: string, acceptEncoding?: string) {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(acceptEncoding !== undefined && { 'accept-encoding': acceptEncoding }) },
    body: JSON.stringify({ query }),
  });
  return { status: res.statusCode, headers: res.headers, bytes: Buffer.from(await res.body.arrayBuffer()) };
}
const decode = (encoding: unknown, b: Buffer) =>
  encoding === 'gzip'
    ? zlib.gunzipSync(b)
    : encoding === 'br'
      ? zlib.brotliDecompressSync(b)
      : encoding === 'zstd'
        ? (zlib as unknown as { zstdDecompressSync: (b: Buffer) => Buffer }).zstdDecompressSync(b)
        : b;

describe('compressed answers', () => {
  it.each([
    ['gzip', 'gzip'],
    ['gzip, br', 'gzip'],
    ['br', 'br'],
    ['br;q=0, gzip', 'gzip'],
    // zstd listed among equals is not chosen: some clients list it and cannot decode it.
    ['zstd, br, gzip', 'gzip'],
    ['*', 'gzip'],
    ['br;q=1, gzip;q=0.8', 'br'],
    ['zstd, br;q=0.5, gzip;q=0.5', hasZstd ? 'zstd' : 'gzip'],
  ])('Accept-Encoding %j: %s, decompressing to the very answer', async (accept, expected) => {
    const plain = await post(gateway.url, PAGE);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.bytes.length).toBeGreaterThan(1024);
    const got = await post(gateway.url, PAGE, accept);
    expect(got.status).toBe(200);
    expect(got.headers['content-encoding']).toBe(expected);
    expect(got.headers.vary).toMatch(/accept-encoding/i);
    expect(Number(got.headers['content-length'])).toBe(got.bytes.length);
    expect(got.bytes.length).toBeLessThan(plain.bytes.length / 3);
    expect(decode(expected, got.bytes).toString()).toBe(plain.bytes.toString());
  });

  it('compresses what yoga answers on its own way too (a GET)', async () => {
    const res = await request(`${gateway.url}?query=${encodeURIComponent(PAGE)}`, { headers: { 'accept-encoding': 'gzip', accept: 'application/json' } });
    const bytes = Buffer.from(await res.body.arrayBuffer());
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(zlib.gunzipSync(bytes).toString()).data.disputes.nodes).toHaveLength(30);
  });

  it('leaves small answers, identity-only clients and a gateway with compression off uncompressed', async () => {
    const small = await post(gateway.url, '{ disputes(first: 1) { nodes { id } } }', 'gzip, br');
    expect(small.headers['content-encoding']).toBeUndefined();
    expect((await post(gateway.url, PAGE, 'identity')).headers['content-encoding']).toBeUndefined();
    expect((await post(gateway.url, PAGE, 'gzip;q=0, br;q=0, zstd;q=0')).headers['content-encoding']).toBeUndefined();
    const o = await post(off.url, PAGE, 'gzip, br');
    expect(o.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(o.bytes.toString()).data.disputes.nodes).toHaveLength(30);
  });

  it('never compresses a stream of server-sent events', async () => {
    const ac = new AbortController();
    const res = await request(`${gateway.url}?query=${encodeURIComponent('subscription { disputeEvents { id } }')}`, {
      headers: { accept: 'text/event-stream', 'accept-encoding': 'gzip, br' },
      signal: ac.signal,
    });
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    // yoga marks its event streams `Content-Encoding: none`.
    expect([undefined, 'none']).toContain(res.headers['content-encoding']);
    ac.abort();
    await res.body.dump().catch(() => {});
  });
});

// The HTTP edge: probes, and body limits by content type (small JSON read whole; multipart streamed
// up to its own, larger limit), through the real server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { providersFromEnv } from '../../src/providers/registry.js';
import { seedStripeDisputes } from '../../src/sandbox/stripe-shape/seed.js';
import { StripeFake } from '../../src/sandbox/stripe-shape/server.js';
import { startGateway, type Gateway } from '../../src/server.js';
import { raw } from '../security/helpers.js';

let stripe: StripeFake;
let stripeUrl: string;
let gateway: Gateway;
const JSON_LIMIT = 64 * 1024;
const UPLOAD_LIMIT = 1024 * 1024;

beforeAll(async () => {
  stripe = new StripeFake('sk_test_edge0000000000000000000', seedStripeDisputes(5, 10));
  const url = (stripeUrl = await stripe.start());
  const providers = providersFromEnv({ STRIPE_SECRET_KEY: stripe.secretKey, STRIPE_API_BASE: url, STRIPE_RATE_LIMIT: '0' });
  gateway = await startGateway({
    providers,
    logger: createLogger({ write: () => {} }),
    maxBodyBytes: JSON_LIMIT,
    maxEvidenceBodyBytes: JSON_LIMIT,
    maxUploadBytes: UPLOAD_LIMIT,
  });
});
afterAll(async () => {
  await gateway.close();
  await stripe.close();
});

const origin = () => new URL(gateway.url).origin;
const padded = (bytes: number) => JSON.stringify({ query: `{ __typename }${' '.repeat(bytes)}` });

function multipart(fileBytes: number): { body: Buffer; type: string } {
  const boundary = '----edge-test-boundary';
  const part = (name: string, value: string, filename?: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"\r\nContent-Type: application/pdf` : ''}\r\n\r\n${value}\r\n`;
  const body = Buffer.concat([
    Buffer.from(part('operations', JSON.stringify({ query: '{ __typename }', variables: {} }))),
    Buffer.from(part('map', '{}')),
    Buffer.from(part('extra', 'x'.repeat(fileBytes), 'evidence.pdf')),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
  return { body, type: `multipart/form-data; boundary=${boundary}` };
}

describe('body limits by content type', () => {
  it('refuses a JSON body over its limit, declared or chunked, with 413 PAYLOAD_TOO_LARGE', async () => {
    const declared = await raw(origin(), {
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json', 'content-length': String(JSON_LIMIT + 100) },
      body: padded(JSON_LIMIT + 100 - 20).slice(0, JSON_LIMIT + 100),
    });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.text).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
    // No content-length: the edge counts as it reads.
    const chunked = await raw(origin(), {
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      body: padded(JSON_LIMIT * 2),
    });
    expect(chunked.status).toBe(413);
    const small = await raw(origin(), { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json' }, body: padded(JSON_LIMIT / 2) });
    expect(JSON.parse(small.text)).toEqual({ data: { __typename: 'Query' } });
  });

  it('accepts a multipart body larger than the JSON limit, up to the upload limit, streamed to yoga', async () => {
    const { body, type } = multipart(JSON_LIMIT * 4);
    const res = await raw(origin(), {
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': type, 'x-graphql-yoga-csrf': '1', 'transfer-encoding': 'chunked' },
      body,
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses a multipart body over the upload limit, declared or counted while streaming, and keeps answering', async () => {
    const { body, type } = multipart(UPLOAD_LIMIT * 2);
    const declared = await raw(origin(), {
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': type, 'x-graphql-yoga-csrf': '1', 'content-length': String(body.length) },
      body,
    });
    expect(declared.status).toBe(413);
    // The edge answers 413 the moment the count passes the limit and drops the rest (within a bound):
    // the client sees the answer, never a reset connection.
    const counted = await raw(origin(), {
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': type, 'x-graphql-yoga-csrf': '1', 'transfer-encoding': 'chunked' },
      body,
    });
    expect(counted.status).toBe(413);
    expect(JSON.parse(counted.text).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
    const after = await raw(origin(), { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json' }, body: padded(10) });
    expect(after.status).toBe(200);
  });
});

describe('multipart and CSRF', () => {
  it('refuses a multipart request without a preflight header (a browser form could send one across sites)', async () => {
    const { body, type } = multipart(10);
    const res = await raw(origin(), { method: 'POST', path: '/graphql', headers: { 'content-type': type }, body });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).errors[0].extensions.code).toBe('CSRF_PREFLIGHT_REQUIRED');
  });
});

describe('probes', () => {
  it('/healthz and /readyz answer 200 while serving', async () => {
    expect((await raw(origin(), { method: 'GET', path: '/healthz' })).status).toBe(200);
    const ready = await raw(origin(), { method: 'GET', path: '/readyz' });
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toEqual({ status: 'ready' });
  });

  it('/readyz answers 503 once the gateway is draining, while it still serves for the readiness delay', async () => {
    const g = await startGateway({
      providers: providersFromEnv({ STRIPE_SECRET_KEY: stripe.secretKey, STRIPE_API_BASE: stripeUrl, STRIPE_RATE_LIMIT: '0' }),
      logger: createLogger({ write: () => {} }),
    });
    const u = new URL(g.url);
    expect((await raw(u.origin, { method: 'GET', path: '/readyz' })).status).toBe(200);
    const closing = g.close(5_000, 700);
    const probe = await raw(u.origin, { method: 'GET', path: '/readyz' });
    expect(probe.status).toBe(503);
    expect(JSON.parse(probe.text)).toEqual({ status: 'draining' });
    // Still serving while the load balancer catches up; liveness stays 200.
    expect((await raw(u.origin, { method: 'GET', path: '/healthz' })).status).toBe(200);
    const served = await raw(u.origin, {
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ disputes(first: 1) { nodes { id } } }' }),
    });
    expect(JSON.parse(served.text).data.disputes.nodes).toHaveLength(1);
    await closing;
    await expect(raw(u.origin, { method: 'GET', path: '/readyz' })).rejects.toThrow();
  });
});

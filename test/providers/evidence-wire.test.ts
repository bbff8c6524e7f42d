// Each client's evidence calls against its fake, on the wire: paths, encodings, multipart parts,
// the idempotency key across retries, and what is never retried blindly.
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { PROVIDER_DEFINITIONS } from '../../src/providers/registry.js';
import type { DisputeProviderClient } from '../../src/providers/types.js';
import { sandboxProviderOf } from '../../src/sandbox/registry.js';
import type { ProviderFake } from '../../src/sandbox/types.js';
import { ProviderError } from '../../src/domain/errors.js';

let agent: Agent;
beforeAll(() => {
  agent = new Agent();
});
afterAll(async () => {
  await agent.close();
});

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(300, 0x20), Buffer.from('%%EOF')]);
const def = (name: string) => PROVIDER_DEFINITIONS.find((d) => d.name === name)!;

async function start(
  name: string,
  env: Record<string, string> = {},
): Promise<{ fake: ProviderFake; client: DisputeProviderClient; open: () => Promise<string> }> {
  const d = def(name);
  const fake = await sandboxProviderOf(d.name).startFake({ seed: 31, count: 40 });
  const client = d.create(d.configFromEnv({ ...fake.env, ...env })!, { dispatcher: agent, logger: silentLogger });
  // A dispute that still takes evidence.
  const open = async () => {
    for (let after: string | undefined, i = 0; i < 10; i++) {
      const page = await client.list({ limit: 20, startingAfter: after, filter: {} });
      const found = page.items.find((it) => it.dispute.status === 'NEEDS_RESPONSE' && it.dispute.evidenceDetails.submissionCount === 0);
      if (found) return found.dispute.providerDisputeId;
      after = page.items.at(-1)?.position;
    }
    throw new Error('no open dispute');
  };
  return { fake, client, open };
}
const posts = (fake: ProviderFake, path: RegExp) => fake.server.requests.filter((r) => r.method === 'POST' && path.test(r.path));

describe('Stripe', () => {
  it('retries a failed update with the same Idempotency-Key (Stripe replays it): one submission', async () => {
    const { fake, client, open } = await start('STRIPE');
    try {
      const id = await open();
      fake.server.injectFault({
        status: 500,
        times: 1,
        body: { error: { type: 'api_error', message: 'boom' } },
        match: (r) => r.method === 'POST' && r.path === `/v1/disputes/${id}`,
      });
      const d = await client.updateEvidence!(id, { evidence: { customerName: 'Ada' }, submit: true, idempotencyKey: 'dg1-abc' });
      expect(d.evidenceDetails.submissionCount).toBe(1);
      const sent = posts(fake, new RegExp(`^/v1/disputes/${id}$`));
      expect(sent).toHaveLength(2);
      expect(sent.map((r) => r.headers['idempotency-key'])).toEqual(['dg1-abc', 'dg1-abc']);
      expect(new URLSearchParams(sent[1]!.body).get('evidence[customer_name]')).toBe('Ada');
    } finally {
      await fake.close();
    }
  });

  it('uploads to the files host: multipart with purpose=dispute_evidence and the file, named and typed', async () => {
    const { fake, client } = await start('STRIPE');
    try {
      const f = await client.uploadFile!(
        { filename: 'r.pdf', contentType: 'application/pdf', size: PDF.length, data: new Blob([PDF], { type: 'application/pdf' }) },
        { idempotencyKey: 'dg1-up' },
      );
      expect(f).toMatchObject({ filename: 'r.pdf', size: PDF.length, contentType: 'application/pdf' });
      const [sent] = posts(fake, /^\/v1\/files$/);
      expect(sent!.headers['idempotency-key']).toBe('dg1-up');
      expect(sent!.body).toMatch(/name="purpose"\r\n\r\ndispute_evidence\r\n/);
      expect(sent!.body).toMatch(/name="file"; filename="r\.pdf"\r\nContent-Type: application\/pdf/);
    } finally {
      await fake.close();
    }
  });
});

describe.each(['WOOSHPAY', 'FLEX', 'AFTERPAY'])('%s', (name) => {
  it('sends an update once: a failure is not retried blindly (the gateway reads back instead)', async () => {
    const { fake, client, open } = await start(name);
    try {
      const id = await open();
      const path = new RegExp(`^/v[12]/disputes/${id}$`);
      fake.server.injectFault({
        status: 500,
        times: 1,
        body: { error: { code: 'server_error' }, errorCode: 'server_error' },
        match: (r) => r.method === 'POST' && path.test(r.path),
      });
      await expect(client.updateEvidence!(id, { evidence: { productDescription: 'x' }, submit: true, idempotencyKey: 'dg1-once' })).rejects.toBeInstanceOf(
        ProviderError,
      );
      expect(posts(fake, path)).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });
});

describe('WooshPay', () => {
  it('sends the update as a form by default and as JSON with WOOSHPAY_EVIDENCE_ENCODING=json', async () => {
    for (const [encoding, type] of [
      ['form', 'application/x-www-form-urlencoded'],
      ['json', 'application/json'],
    ] as const) {
      const { fake, client, open } = await start('WOOSHPAY', { WOOSHPAY_EVIDENCE_ENCODING: encoding });
      try {
        const id = await open();
        const d = await client.updateEvidence!(id, { evidence: { productDescription: 'Tea' }, submit: false, idempotencyKey: 'dg1-w' });
        expect(d.evidence.productDescription).toBe('Tea');
        const [sent] = posts(fake, new RegExp(`^/v1/disputes/${id}$`));
        expect(sent!.headers['content-type']).toContain(type);
        if (encoding === 'json') expect(JSON.parse(sent!.body)).toEqual({ evidence: { product_description: 'Tea' }, submit: false });
      } finally {
        await fake.close();
      }
    }
  });
});

describe('Afterpay', () => {
  it('its fake takes files as documented: GIF too, under 10 MB (413 at 10 MB), other types 415', async () => {
    const { fake, client } = await start('AFTERPAY');
    try {
      const up = (data: Buffer, contentType: string) =>
        client.uploadFile!({ filename: 'f', contentType, size: data.length, data: new Blob([new Uint8Array(data)]) }, { idempotencyKey: 'dg1-f' }).catch(
          (e: unknown) => e,
        );
      const gif = Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(64)]);
      expect(await up(gif, 'image/gif')).toMatchObject({ id: expect.stringMatching(/^fi_/) });
      const limit = client.capabilities.evidence!.maxFileBytes!;
      const pdfOf = (n: number) => Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(n - 9, 0x20)]);
      expect(await up(pdfOf(limit), 'application/pdf')).toMatchObject({ id: expect.stringMatching(/^fi_/) });
      expect(await up(pdfOf(limit + 1), 'application/pdf')).toMatchObject({ provider: 'AFTERPAY', status: 413 });
      expect(await up(Buffer.from('just text'), 'text/plain')).toMatchObject({ provider: 'AFTERPAY', status: 415 });
    } finally {
      await fake.close();
    }
  });

  it('its fake refuses more than 5,000 characters in the four fields its reference limits', async () => {
    const { fake, client, open } = await start('AFTERPAY');
    try {
      const id = await open();
      const err = await client.updateEvidence!(id, { evidence: { shippingCarrier: 'x'.repeat(5_001) }, submit: true, idempotencyKey: 'dg1-long' }).catch(
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ provider: 'AFTERPAY', status: 400 });
      const d = await client.updateEvidence!(id, { evidence: { shippingCarrier: '😀'.repeat(5_000) }, submit: true, idempotencyKey: 'dg1-ok' });
      expect(d.status).toBe('UNDER_REVIEW');
    } finally {
      await fake.close();
    }
  });

  it('uploads multipart with fileType=dispute_evidence to /v2/disputes/files', async () => {
    const { fake, client } = await start('AFTERPAY');
    try {
      const f = await client.uploadFile!(
        { filename: 'l.pdf', contentType: 'application/pdf', size: PDF.length, data: new Blob([PDF]) },
        { idempotencyKey: 'dg1-a' },
      );
      expect(f.id).toMatch(/^fi_/);
      const [sent] = posts(fake, /^\/v2\/disputes\/files$/);
      expect(sent!.body).toMatch(/name="fileType"\r\n\r\ndispute_evidence\r\n/);
    } finally {
      await fake.close();
    }
  });
});

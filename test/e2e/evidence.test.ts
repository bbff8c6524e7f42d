// Contesting a dispute through the real server and each provider's fake: staging and submitting
// evidence, every refusal the gateway can make in advance (with nothing sent), a lost submission
// answer recovered with one submission, the once-per-key rules, and the evidence:write scope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyStore, sha256 } from '../../src/auth/keys.js';
import type { ProviderName } from '../../src/domain/dispute.js';
import { startSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness.js';
import { gql as keyed, probeGateway, type ProbeGateway } from '../security/helpers.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { startSandbox } from '../../src/sandbox/index.js';

let h: SandboxHarness;
beforeAll(async () => {
  h = await startSandboxHarness(11);
});
afterAll(async () => {
  await h?.close();
});

const UPDATE = `mutation($input: UpdateDisputeEvidenceInput!) { updateDisputeEvidence(input: $input) {
  dispute { id status evidence { productDescription customerName uncategorizedText } evidenceDetails { submissionCount hasEvidence } }
  userErrors { code field message } } }`;
const SUBMIT = `mutation($input: SubmitDisputeEvidenceInput!) { submitDisputeEvidence(input: $input) {
  dispute { id status evidenceDetails { submissionCount } } userErrors { code field message } } }`;

const used = new Set<string>();
/** A dispute of this provider that still takes evidence (not yet used by another test). */
async function respondable(provider: ProviderName, status = 'NEEDS_RESPONSE', fresh = status === 'NEEDS_RESPONSE'): Promise<string> {
  const r = await h.gql(
    `{ disputes(first: 100, filter: { providers: [${provider}], status: [${status}] }) { nodes { id evidenceDetails { dueBy submissionCount } } } }`,
  );
  const d = r.body.data.disputes.nodes.find(
    (n: { id: string; evidenceDetails: { dueBy: string | null; submissionCount: number } }) =>
      !used.has(n.id) &&
      (!fresh ||
        (n.evidenceDetails.submissionCount === 0 && (n.evidenceDetails.dueBy === null || Date.parse(n.evidenceDetails.dueBy) > Date.now() + 3600_000))),
  );
  expect(d, `a respondable ${provider} dispute`).toBeDefined();
  used.add(d.id);
  return d.id;
}

/** Requests that would change evidence at a provider's fake (POSTs to one dispute). */
const updatesSent = (provider: ProviderName) =>
  h.fakes.get(provider)!.server.requests.filter((r) => r.method === 'POST' && /^\/v[12]\/disputes\/[^/]+$/.test(r.path)).length;

describe('staging and submitting', () => {
  it('Stripe: stages (submit=false, form-encoded evidence[...]), then submits what is staged', async () => {
    const id = await respondable('STRIPE');
    const staged = await h.gql(UPDATE, { input: { id, evidence: { productDescription: 'A blue kettle', customerName: 'Ada' } } });
    expect(staged.body.data.updateDisputeEvidence.userErrors).toEqual([]);
    expect(staged.body.data.updateDisputeEvidence.dispute).toMatchObject({
      status: 'NEEDS_RESPONSE',
      evidence: { productDescription: 'A blue kettle', customerName: 'Ada' },
      evidenceDetails: { submissionCount: 0, hasEvidence: true },
    });
    const sent = h.fakes.get('STRIPE')!.server.requests.at(-1)!;
    expect(sent.headers['content-type']).toContain('application/x-www-form-urlencoded');
    const form = new URLSearchParams(sent.body);
    expect(form.get('evidence[product_description]')).toBe('A blue kettle');
    expect(form.get('submit')).toBe('false');
    expect(sent.headers['idempotency-key']).toMatch(/^dg_/);

    const submitted = await h.gql(SUBMIT, { input: { id } });
    expect(submitted.body.data.submitDisputeEvidence).toEqual({
      dispute: { id, status: 'UNDER_REVIEW', evidenceDetails: { submissionCount: 1 } },
      userErrors: [],
    });
    expect(new URLSearchParams(h.fakes.get('STRIPE')!.server.requests.at(-1)!.body).get('submit')).toBe('true');
  });

  it("WooshPay: submits Stripe's form on its own path", async () => {
    const id = await respondable('WOOSHPAY');
    const r = await h.gql(UPDATE, { input: { id, evidence: { uncategorizedText: 'Delivered, signed for' }, submit: true } });
    expect(r.body.data.updateDisputeEvidence.dispute).toMatchObject({ status: 'UNDER_REVIEW', evidenceDetails: { submissionCount: 1 } });
    const sent = h.fakes.get('WOOSHPAY')!.server.requests.at(-1)!;
    expect(new URLSearchParams(sent.body).get('evidence[uncategorized_text]')).toBe('Delivered, signed for');
  });

  it('Flex: {"dispute":{"evidence","submit"}}; a second submission is EVIDENCE_ALREADY_SUBMITTED with nothing sent', async () => {
    const id = await respondable('FLEX');
    const r = await h.gql(UPDATE, { input: { id, evidence: { productDescription: 'Shoes' }, submit: true } });
    expect(r.body.data.updateDisputeEvidence.dispute).toMatchObject({ status: 'UNDER_REVIEW', evidenceDetails: { submissionCount: 1 } });
    expect(JSON.parse(h.fakes.get('FLEX')!.server.requests.at(-1)!.body)).toEqual({ dispute: { evidence: { product_description: 'Shoes' }, submit: true } });
    const before = updatesSent('FLEX');
    const again = await h.gql(SUBMIT, { input: { id } });
    expect(again.body.data.submitDisputeEvidence.userErrors).toEqual([
      { code: 'EVIDENCE_ALREADY_SUBMITTED', field: ['input', 'id'], message: expect.any(String) },
    ]);
    expect(updatesSent('FLEX')).toBe(before);
  });

  it('Afterpay: only its fields, no staging, once only — each refusal before anything is sent', async () => {
    const id = await respondable('AFTERPAY');
    const before = updatesSent('AFTERPAY');
    const unsupported = await h.gql(UPDATE, { input: { id, evidence: { productDescription: 'Tea', receipt: 'fi_123' }, submit: true } });
    expect(unsupported.body.data.updateDisputeEvidence.userErrors).toEqual([
      { code: 'EVIDENCE_FIELD_UNSUPPORTED', field: ['input', 'evidence', 'receipt'], message: expect.stringContaining('Afterpay') },
    ]);
    const staging = await h.gql(UPDATE, { input: { id, evidence: { productDescription: 'Tea' }, submit: false } });
    expect(staging.body.data.updateDisputeEvidence.userErrors).toEqual([
      { code: 'EVIDENCE_STAGING_UNSUPPORTED', field: ['input', 'submit'], message: expect.any(String) },
    ]);
    expect(updatesSent('AFTERPAY')).toBe(before);

    const ok = await h.gql(UPDATE, { input: { id, evidence: { productDescription: 'Tea', shippingTrackingNumber: 'TRK1' }, submit: true } });
    expect(ok.body.data.updateDisputeEvidence.dispute).toMatchObject({
      status: 'UNDER_REVIEW',
      evidence: { productDescription: 'Tea' },
      evidenceDetails: { submissionCount: 1 },
    });
    expect(JSON.parse(h.fakes.get('AFTERPAY')!.server.requests.at(-1)!.body)).toEqual({
      evidence: { productDescription: 'Tea', shippingTrackingNumber: 'TRK1' },
    });
    const twice = await h.gql(UPDATE, { input: { id, evidence: { productDescription: 'More tea' }, submit: true } });
    expect(twice.body.data.updateDisputeEvidence.userErrors[0].code).toBe('EVIDENCE_ALREADY_SUBMITTED');
    expect(updatesSent('AFTERPAY')).toBe(before + 1);
  });
});

describe('refused in advance, nothing sent', () => {
  it('DISPUTE_NOT_RESPONDABLE for a decided dispute', async () => {
    const id = await respondable('STRIPE', 'WON');
    const before = updatesSent('STRIPE');
    const r = await h.gql(UPDATE, { input: { id, evidence: { customerName: 'Ada' } } });
    expect(r.body.data.updateDisputeEvidence.userErrors[0]).toMatchObject({ code: 'DISPUTE_NOT_RESPONDABLE', field: ['input', 'id'] });
    expect(updatesSent('STRIPE')).toBe(before);
  });

  it('DISPUTE_NOT_RESPONDABLE once the deadline has passed, at every provider that has one', async () => {
    for (const provider of ['STRIPE', 'FLEX', 'AFTERPAY'] as const) {
      const r = await h.gql(
        `{ disputes(first: 100, filter: { providers: [${provider}], status: [NEEDS_RESPONSE] }) { nodes { id evidenceDetails { dueBy submissionCount } } } }`,
      );
      const late = r.body.data.disputes.nodes.find(
        (n: { evidenceDetails: { dueBy: string | null; submissionCount: number } }) =>
          n.evidenceDetails.dueBy && Date.parse(n.evidenceDetails.dueBy) < Date.now() && n.evidenceDetails.submissionCount === 0,
      );
      expect(late, `a past-due ${provider} dispute in the sandbox`).toBeDefined();
      const before = updatesSent(provider);
      const u = await h.gql(UPDATE, { input: { id: late.id, evidence: { productDescription: 'late' }, submit: true } });
      expect(u.body.data.updateDisputeEvidence.userErrors[0]).toMatchObject({ code: 'DISPUTE_NOT_RESPONDABLE', message: expect.stringContaining('deadline') });
      expect(updatesSent(provider)).toBe(before);
    }
  });

  it('EVIDENCE_TOO_LONG past 150,000 characters of text at Stripe, counting what is staged', async () => {
    const id = await respondable('STRIPE');
    const before = updatesSent('STRIPE');
    // 140,000 staged in seven long fields (each within its 20,000), then 10,001 more in an eighth.
    const long = [
      'accessActivityLog',
      'cancellationPolicyDisclosure',
      'cancellationRebuttal',
      'duplicateChargeExplanation',
      'refundPolicyDisclosure',
      'refundRefusalExplanation',
      'uncategorizedText',
    ];
    const staged = await h.gql(UPDATE, { input: { id, evidence: Object.fromEntries(long.map((f) => [f, 'x'.repeat(20_000)])) } });
    expect(staged.body.data.updateDisputeEvidence.userErrors).toEqual([]);
    const r = await h.gql(UPDATE, { input: { id, evidence: { productDescription: 'y'.repeat(10_001) } } });
    expect(r.body.data.updateDisputeEvidence.userErrors).toEqual([
      { code: 'EVIDENCE_TOO_LONG', field: ['input', 'evidence', 'productDescription'], message: expect.stringContaining('150000') },
    ]);
    expect(updatesSent('STRIPE')).toBe(before + 1);
  });

  it("Stripe's own dispute_evidence_page_limit_exceeded becomes EVIDENCE_TOO_LONG", async () => {
    const id = await respondable('STRIPE');
    h.fakes.get('STRIPE')!.server.injectFault({
      status: 400,
      times: 1,
      body: { error: { type: 'invalid_request_error', code: 'dispute_evidence_page_limit_exceeded', message: 'too long' } },
      match: (r) => r.method === 'POST' && /^\/v1\/disputes\/[^/]+$/.test(r.path),
    });
    const r = await h.gql(UPDATE, { input: { id, evidence: { uncategorizedText: 'a few pages of scans' }, submit: true } });
    expect(r.body.data.updateDisputeEvidence.userErrors).toEqual([
      { code: 'EVIDENCE_TOO_LONG', field: ['input', 'evidence'], message: expect.stringContaining('dispute_evidence_page_limit_exceeded') },
    ]);
  });

  it('BAD_USER_INPUT for a malformed file id or id; NOT_FOUND for an unknown dispute', async () => {
    const id = await respondable('STRIPE');
    const bad = await h.gql(UPDATE, { input: { id, evidence: { receipt: '../x' } } });
    expect(bad.body.data.updateDisputeEvidence.userErrors[0]).toMatchObject({ code: 'BAD_USER_INPUT', field: ['input', 'evidence', 'receipt'] });
    const malformed = await h.gql(UPDATE, { input: { id: 'nope', evidence: { customerName: 'A' } } });
    expect(malformed.body.data.updateDisputeEvidence.userErrors[0].code).toBe('BAD_USER_INPUT');
  });
});

describe('once per idempotency key', () => {
  it('a lost submission answer is recovered by reading back: one submission in all', async () => {
    const id = await respondable('FLEX');
    const flex = h.fakes.get('FLEX')!.server;
    flex.injectFault({ lost: true, times: 1, match: (r) => r.method === 'POST' && /^\/v1\/disputes\/[^/]+$/.test(r.path) });
    const before = updatesSent('FLEX');
    const input = { id, evidence: { productDescription: 'Boots' }, submit: true, idempotencyKey: 'lost-1' };
    const first = await h.gql(UPDATE, { input });
    expect(first.body.errors?.[0]?.extensions?.code).toBe('PROVIDER_UNAVAILABLE');
    const retry = await h.gql(UPDATE, { input });
    expect(retry.body.data.updateDisputeEvidence).toMatchObject({
      dispute: { status: 'UNDER_REVIEW', evidenceDetails: { submissionCount: 1 } },
      userErrors: [],
    });
    expect(updatesSent('FLEX')).toBe(before + 1);
    // Answered from the record now: still one submission.
    const third = await h.gql(UPDATE, { input });
    expect(third.body.data.updateDisputeEvidence.dispute.evidenceDetails.submissionCount).toBe(1);
    expect(updatesSent('FLEX')).toBe(before + 1);
  });

  it('the same key for other evidence is IDEMPOTENCY_KEY_REUSED, with nothing sent', async () => {
    const id = await respondable('STRIPE');
    const ok = await h.gql(UPDATE, { input: { id, evidence: { customerName: 'Ada' }, idempotencyKey: 'k-1' } });
    expect(ok.body.data.updateDisputeEvidence.userErrors).toEqual([]);
    const before = updatesSent('STRIPE');
    const other = await h.gql(UPDATE, { input: { id, evidence: { customerName: 'Bob' }, idempotencyKey: 'k-1' } });
    expect(other.body.data.updateDisputeEvidence.userErrors).toEqual([
      { code: 'IDEMPOTENCY_KEY_REUSED', field: ['input', 'idempotencyKey'], message: expect.any(String) },
    ]);
    expect(updatesSent('STRIPE')).toBe(before);
  });

  it('writes one audit line per update, naming the fields and never their contents', async () => {
    const id = await respondable('STRIPE');
    await h.gql(UPDATE, { input: { id, evidence: { customerName: 'Secret Name 42' } } });
    const line = h.logs
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg === 'audit' && l.audit === 'updateDisputeEvidence')
      .at(-1);
    expect(line).toMatchObject({ disputeId: id, provider: 'STRIPE', result: 'STAGED', fields: ['customerName'] });
    expect(h.logs.join('\n')).not.toContain('Secret Name 42');
  });
});

describe('the evidence:write scope and evidence-sized bodies', () => {
  const WRITER = 'gk_evidence_writer_7a1c3e5f9b2d4680';
  const CLOSER = 'gk_evidence_closer_2b4d6f8a0c1e3579';
  let sandbox: Sandbox;
  let p: ProbeGateway;
  beforeAll(async () => {
    sandbox = await startSandbox(12);
    const store = KeyStore.fromEnv(
      {
        GATEWAY_API_KEYS: JSON.stringify([
          { name: 'writer', key: `sha256:${sha256(WRITER).toString('hex')}`, scopes: ['disputes:read', 'evidence:write'] },
          { name: 'closer', key: `sha256:${sha256(CLOSER).toString('hex')}`, scopes: ['disputes:read', 'disputes:write'] },
        ]),
      },
      { perSecond: 1000, burst: 1000 },
    )!;
    p = await probeGateway(sandbox, { auth: { mode: 'keys', store }, uploadBytesPerHour: 3_000 });
  });
  afterAll(async () => {
    await p?.gateway.close();
    await sandbox?.close();
  });

  it('a key without evidence:write is FORBIDDEN (and audited); one with it may stage', async () => {
    const list = await keyed(p.gateway.url, WRITER, '{ disputes(first: 1, filter: { providers: [STRIPE], status: [NEEDS_RESPONSE] }) { nodes { id } } }');
    const id = list.body.data.disputes.nodes[0].id;
    const refused = await keyed(p.gateway.url, CLOSER, UPDATE, { input: { id, evidence: { customerName: 'A' } } });
    expect(refused.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(refused.body.errors[0].message).toContain('evidence:write');
    expect(p.logs.some((l) => l.includes('"audit":"updateDisputeEvidence"') && l.includes('FORBIDDEN'))).toBe(true);
    const ok = await keyed(p.gateway.url, WRITER, UPDATE, { input: { id, evidence: { customerName: 'A' } } });
    expect(ok.body.data.updateDisputeEvidence.userErrors).toEqual([]);
    // closeDispute still needs disputes:write.
    const close = await keyed(p.gateway.url, WRITER, 'mutation($id: ID!) { closeDispute(input: { id: $id }) { userErrors { code } } }', { id });
    expect(close.body.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it("counts uploads against the key's hourly byte budget: past it, RATE_LIMITED with nothing sent", async () => {
    const list = await keyed(p.gateway.url, WRITER, '{ disputes(first: 1, filter: { providers: [STRIPE], status: [NEEDS_RESPONSE] }) { nodes { id } } }');
    const id = list.body.data.disputes.nodes[0].id;
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(2_000, 0x20)]);
    const send = async () => {
      const form = new FormData();
      form.append(
        'operations',
        JSON.stringify({
          query: 'mutation($input: UploadDisputeEvidenceFileInput!) { uploadDisputeEvidenceFile(input: $input) { file { id } userErrors { code field } } }',
          variables: { input: { disputeId: id, file: null } },
        }),
      );
      form.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
      form.append('0', new Blob([new Uint8Array(pdf)], { type: 'application/pdf' }), 'a.pdf');
      const res = await fetch(p.gateway.url, { method: 'POST', headers: { 'x-graphql-yoga-csrf': '1', authorization: `Bearer ${WRITER}` }, body: form });
      return (await res.json()) as any;
    };
    const files = sandbox.fakes.find((f) => f.name === 'STRIPE')!.fake.server;
    const before = files.requests.filter((r) => r.path === '/v1/files').length;
    expect((await send()).data.uploadDisputeEvidenceFile.file.id).toMatch(/^file_/);
    expect((await send()).data.uploadDisputeEvidenceFile.userErrors).toEqual([{ code: 'RATE_LIMITED', field: ['input', 'file'] }]);
    expect(files.requests.filter((r) => r.path === '/v1/files').length).toBe(before + 1);
  });

  it('only a caller who may submit evidence may send an evidence-sized JSON body', async () => {
    const body = JSON.stringify({ query: '{ __typename }', variables: { pad: 'z'.repeat(200_000) } });
    const send = (key: string) =>
      fetch(p.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body });
    expect((await send(CLOSER)).status).toBe(413);
    expect((await send(WRITER)).status).toBe(200);
  });
});

describe('uploading evidence files (GraphQL multipart request spec)', () => {
  const UPLOAD = `mutation($input: UploadDisputeEvidenceFileInput!) { uploadDisputeEvidenceFile(input: $input) {
    file { id filename size contentType expiresAt } userErrors { code field message } } }`;
  const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n'), Buffer.alloc(2048, 0x20), Buffer.from('\n%%EOF\n')]);
  const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(512, 7)]);

  /** One multipart request as the spec lays it out: operations, map, then the file. */
  async function upload(disputeId: string, bytes: Buffer, filename: string, type: string, extra: Record<string, unknown> = {}) {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: UPLOAD, variables: { input: { disputeId, file: null, ...extra } } }));
    form.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
    form.append('0', new Blob([new Uint8Array(bytes)], { type }), filename);
    const res = await fetch(h.gateway.url, { method: 'POST', headers: { 'x-graphql-yoga-csrf': '1' }, body: form });
    return { status: res.status, body: (await res.json()) as any };
  }
  const uploadsSent = (provider: ProviderName) => h.fakes.get(provider)!.server.requests.filter((r) => r.method === 'POST' && /\/files$/.test(r.path)).length;

  it("uploads a PDF to Stripe's files API and a PNG to Flex and Afterpay, then names one in evidence", async () => {
    for (const [provider, bytes, name, type, contentType] of [
      ['STRIPE', PDF, 'receipt.pdf', 'application/pdf', 'application/pdf'],
      ['FLEX', PNG, 'label.png', 'image/png', 'image/png'],
      ['AFTERPAY', PNG, 'label.png', 'image/png', 'image/png'],
    ] as const) {
      const id = await respondable(provider);
      const r = await upload(id, bytes, name, type);
      expect(r.body.errors).toBeUndefined();
      expect(r.status).toBe(200);
      expect(r.body.data.uploadDisputeEvidenceFile.userErrors).toEqual([]);
      expect(r.body.data.uploadDisputeEvidenceFile.file).toMatchObject({ filename: name, size: bytes.length, contentType });
      expect(Date.parse(r.body.data.uploadDisputeEvidenceFile.file.expiresAt)).toBeGreaterThan(Date.now());
      const sent = h.fakes.get(provider)!.server.requests.at(-1)!;
      expect(sent.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
      expect(sent.raw!.includes(bytes)).toBe(true);
      if (provider === 'STRIPE') {
        expect(sent.body).toContain('name="purpose"\r\n\r\ndispute_evidence');
        const fileId = r.body.data.uploadDisputeEvidenceFile.file.id;
        const u = await h.gql(
          `mutation($input: UpdateDisputeEvidenceInput!) { updateDisputeEvidence(input: $input) { dispute { evidence { receipt { id } } } userErrors { code } } }`,
          {
            input: { id, evidence: { receipt: fileId } },
          },
        );
        expect(u.body.data.updateDisputeEvidence).toEqual({ dispute: { evidence: { receipt: { id: fileId } } }, userErrors: [] });
      }
    }
  });

  it("refuses a file just over the provider's limit, or of another type, with nothing sent", async () => {
    const id = await respondable('STRIPE');
    const before = uploadsSent('STRIPE');
    const big = Buffer.concat([PDF, Buffer.alloc(5 * 1024 * 1024 - PDF.length + 1, 0x20)]);
    const tooLarge = await upload(id, big, 'big.pdf', 'application/pdf');
    expect(tooLarge.body.data.uploadDisputeEvidenceFile.userErrors).toEqual([
      { code: 'FILE_TOO_LARGE', field: ['input', 'file'], message: expect.stringContaining('5242880') },
    ]);
    // Named .pdf, declared PDF, but the bytes are text: the bytes decide.
    const text = await upload(id, Buffer.from('just some text, not a PDF'), 'fake.pdf', 'application/pdf');
    expect(text.body.data.uploadDisputeEvidenceFile.userErrors[0]).toMatchObject({ code: 'FILE_TYPE_UNSUPPORTED', field: ['input', 'file'] });
    expect(uploadsSent('STRIPE')).toBe(before);
  });

  it('refuses a PDF over the evidence page limit at upload: Stripe’s fewer than 50 pages, 19 for a Mastercard dispute; GIF only where taken (Afterpay)', async () => {
    const pdf = (pages: number) =>
      Buffer.concat([
        Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Count ' + pages + ' >> endobj\n'),
        ...Array.from({ length: pages }, (_, i) => Buffer.from(`${i + 3} 0 obj << /Type /Page /Parent 2 0 R >> endobj\n`)),
        Buffer.from('%%EOF\n'),
      ]);
    const r = await h.gql(
      `{ disputes(first: 100, filter: { providers: [STRIPE], status: [NEEDS_RESPONSE] }) { nodes { id paymentMethodDetails { card { brand } } evidenceDetails { dueBy } } } }`,
    );
    const open = r.body.data.disputes.nodes.filter((n: any) => Date.parse(n.evidenceDetails.dueBy) > Date.now());
    const visa = open.find((n: any) => n.paymentMethodDetails?.card?.brand === 'visa');
    const mastercard = open.find((n: any) => n.paymentMethodDetails?.card?.brand === 'mastercard');
    expect(visa && mastercard, 'open Visa and Mastercard disputes at the Stripe fake').toBeTruthy();
    const before = uploadsSent('STRIPE');
    const over = await upload(visa.id, pdf(50), 'fifty.pdf', 'application/pdf');
    expect(over.body.data.uploadDisputeEvidenceFile.userErrors).toEqual([
      { code: 'FILE_TOO_LARGE', field: ['input', 'file'], message: expect.stringContaining('50 pages') },
    ]);
    const mcOver = await upload(mastercard.id, pdf(20), 'twenty.pdf', 'application/pdf');
    expect(mcOver.body.data.uploadDisputeEvidenceFile.userErrors[0]).toMatchObject({
      code: 'FILE_TOO_LARGE',
      message: expect.stringContaining('at most 19 pages'),
    });
    expect(uploadsSent('STRIPE')).toBe(before);
    expect((await upload(visa.id, pdf(49), 'fortynine.pdf', 'application/pdf')).body.data.uploadDisputeEvidenceFile.userErrors).toEqual([]);
    expect((await upload(mastercard.id, pdf(19), 'nineteen.pdf', 'application/pdf')).body.data.uploadDisputeEvidenceFile.userErrors).toEqual([]);
    const GIF = Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(256, 1)]);
    expect((await upload(visa.id, GIF, 'scan.gif', 'image/gif')).body.data.uploadDisputeEvidenceFile.userErrors[0]).toMatchObject({
      code: 'FILE_TYPE_UNSUPPORTED',
    });
    const afterpay = await respondable('AFTERPAY');
    expect((await upload(afterpay, GIF, 'scan.gif', 'image/gif')).body.data.uploadDisputeEvidenceFile.userErrors).toEqual([]);
  });

  it('NOT_SUPPORTED at WooshPay (no files API), FILE_NOT_FOUND for a file id the provider does not know', async () => {
    const woosh = await respondable('WOOSHPAY');
    const r = await upload(woosh, PDF, 'a.pdf', 'application/pdf');
    expect(r.body.data.uploadDisputeEvidenceFile.userErrors[0]).toMatchObject({ code: 'NOT_SUPPORTED', field: ['input', 'disputeId'] });
    const id = await respondable('STRIPE');
    const u = await h.gql(UPDATE, { input: { id, evidence: { receipt: 'file_doesnotexist' }, submit: true } });
    expect(u.body.data.updateDisputeEvidence.userErrors).toEqual([
      { code: 'FILE_NOT_FOUND', field: ['input', 'evidence', 'receipt'], message: expect.any(String) },
    ]);
    const after = await h.gql('query($id: ID!) { node(id: $id) { ... on Dispute { status evidenceDetails { submissionCount } } } }', { id });
    expect(after.body.data.node).toEqual({ status: 'NEEDS_RESPONSE', evidenceDetails: { submissionCount: 0 } });
  });

  it('the same key and file answer the first upload again; the same key for another file is IDEMPOTENCY_KEY_REUSED', async () => {
    const id = await respondable('FLEX');
    const before = uploadsSent('FLEX');
    const a = await upload(id, PNG, 'a.png', 'image/png', { idempotencyKey: 'up-1' });
    const b = await upload(id, PNG, 'a.png', 'image/png', { idempotencyKey: 'up-1' });
    expect(b.body.data.uploadDisputeEvidenceFile.file.id).toBe(a.body.data.uploadDisputeEvidenceFile.file.id);
    expect(uploadsSent('FLEX')).toBe(before + 1);
    const c = await upload(id, PDF, 'b.pdf', 'application/pdf', { idempotencyKey: 'up-1' });
    expect(c.body.data.uploadDisputeEvidenceFile.userErrors[0].code).toBe('IDEMPOTENCY_KEY_REUSED');
  });
});

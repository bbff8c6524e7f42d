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
  const r = await h.gql(`{ disputes(first: 100, filter: { providers: [${provider}], status: [${status}] }) { nodes { id evidenceDetails { dueBy submissionCount } } } }`);
  const d = r.body.data.disputes.nodes.find(
    (n: { id: string; evidenceDetails: { dueBy: string | null; submissionCount: number } }) =>
      !used.has(n.id) && (!fresh || (n.evidenceDetails.submissionCount === 0 && (n.evidenceDetails.dueBy === null || Date.parse(n.evidenceDetails.dueBy) > Date.now() + 3600_000))),
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
    expect(staged.body.data.updateDisputeEvidence.dispute).toMatchObject({ status: 'NEEDS_RESPONSE', evidence: { productDescription: 'A blue kettle', customerName: 'Ada' }, evidenceDetails: { submissionCount: 0, hasEvidence: true } });
    const sent = h.fakes.get('STRIPE')!.server.requests.at(-1)!;
    expect(sent.headers['content-type']).toContain('application/x-www-form-urlencoded');
    const form = new URLSearchParams(sent.body);
    expect(form.get('evidence[product_description]')).toBe('A blue kettle');
    expect(form.get('submit')).toBe('false');
    expect(sent.headers['idempotency-key']).toMatch(/^dg_/);

    const submitted = await h.gql(SUBMIT, { input: { id } });
    expect(submitted.body.data.submitDisputeEvidence).toEqual({ dispute: { id, status: 'UNDER_REVIEW', evidenceDetails: { submissionCount: 1 } }, userErrors: [] });
    expect(new URLSearchParams(h.fakes.get('STRIPE')!.server.requests.at(-1)!.body).get('submit')).toBe('true');
  });

  it('WooshPay: submits Stripe\'s form on its own path', async () => {
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
    expect(again.body.data.submitDisputeEvidence.userErrors).toEqual([{ code: 'EVIDENCE_ALREADY_SUBMITTED', field: ['input', 'id'], message: expect.any(String) }]);
    expect(updatesSent('FLEX')).toBe(before);
  });

  it('Afterpay: only its fields, no staging, once only — each refusal before anything is sent', async () => {
    const id = await respondable('AFTERPAY');
    const before = updatesSent('AFTERPAY');
    const unsupported = await h.gql(UPDATE, { input: { id, evidence: { productDescription: 'Tea', receipt: 'fi_123' }, submit: true } });
    expect(unsupported.body.data.updateDisputeEvidence.userErrors).toEqual([{ code: 'EVIDENCE_FIELD_UNSUPPORTED', field: ['input', 'evidence', 'receipt'], message: expect.stringContaining('Afterpay') }]);
    const staging = await h.gql(UPDATE, { input: { id, evidence: { productDescription: 'Tea' }, submit: false } });
    expect(staging.body.data.updateDisputeEvidence.userErrors).toEqual([{ code: 'EVIDENCE_STAGING_UNSUPPORTED', field: ['input', 'submit'], message: expect.any(String) }]);
    expect(updatesSent('AFTERPAY')).toBe(before);

    const ok = await h.gql(UPDATE, { input: { id, evidence: { productDescription: 'Tea', shippingTrackingNumber: 'TRK1' }, submit: true } });
    expect(ok.body.data.updateDisputeEvidence.dispute).toMatchObject({ status: 'UNDER_REVIEW', evidence: { productDescription: 'Tea' }, evidenceDetails: { submissionCount: 1 } });
    expect(JSON.parse(h.fakes.get('AFTERPAY')!.server.requests.at(-1)!.body)).toEqual({ evidence: { productDescription: 'Tea', shippingTrackingNumber: 'TRK1' } });
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
      const r = await h.gql(`{ disputes(first: 100, filter: { providers: [${provider}], status: [NEEDS_RESPONSE] }) { nodes { id evidenceDetails { dueBy submissionCount } } } }`);
      const late = r.body.data.disputes.nodes.find((n: { evidenceDetails: { dueBy: string | null; submissionCount: number } }) => n.evidenceDetails.dueBy && Date.parse(n.evidenceDetails.dueBy) < Date.now() && n.evidenceDetails.submissionCount === 0);
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
    const staged = await h.gql(UPDATE, { input: { id, evidence: { uncategorizedText: 'x'.repeat(100_000) } } });
    expect(staged.body.data.updateDisputeEvidence.userErrors).toEqual([]);
    const r = await h.gql(UPDATE, { input: { id, evidence: { productDescription: 'y'.repeat(50_001) } } });
    expect(r.body.data.updateDisputeEvidence.userErrors).toEqual([{ code: 'EVIDENCE_TOO_LONG', field: ['input', 'evidence', 'productDescription'], message: expect.stringContaining('150000') }]);
    expect(updatesSent('STRIPE')).toBe(before + 1);
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
    expect(retry.body.data.updateDisputeEvidence).toMatchObject({ dispute: { status: 'UNDER_REVIEW', evidenceDetails: { submissionCount: 1 } }, userErrors: [] });
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
    expect(other.body.data.updateDisputeEvidence.userErrors).toEqual([{ code: 'IDEMPOTENCY_KEY_REUSED', field: ['input', 'idempotencyKey'], message: expect.any(String) }]);
    expect(updatesSent('STRIPE')).toBe(before);
  });

  it('writes one audit line per update, naming the fields and never their contents', async () => {
    const id = await respondable('STRIPE');
    await h.gql(UPDATE, { input: { id, evidence: { customerName: 'Secret Name 42' } } });
    const line = h.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'audit' && l.audit === 'updateDisputeEvidence').at(-1);
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
    const store = KeyStore.fromEnv({
      GATEWAY_API_KEYS: JSON.stringify([
        { name: 'writer', key: `sha256:${sha256(WRITER).toString('hex')}`, scopes: ['disputes:read', 'evidence:write'] },
        { name: 'closer', key: `sha256:${sha256(CLOSER).toString('hex')}`, scopes: ['disputes:read', 'disputes:write'] },
      ]),
    }, { perSecond: 1000, burst: 1000 })!;
    p = await probeGateway(sandbox, { auth: { mode: 'keys', store } });
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

  it('only a caller who may submit evidence may send an evidence-sized JSON body', async () => {
    const body = JSON.stringify({ query: '{ __typename }', variables: { pad: 'z'.repeat(200_000) } });
    const send = (key: string) => fetch(p.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body });
    expect((await send(CLOSER)).status).toBe(413);
    expect((await send(WRITER)).status).toBe(200);
  });
});

// Security round three, evidence length: characters are Unicode code points, as providers count
// them. 150,000 emoji, spread over the fields within each one's limit, are 150,000 characters
// (300,000 UTF-16 units): exactly Stripe's total, and taken.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { gql, probeGateway, type ProbeGateway } from './helpers.js';

const STAGE = `mutation($id: ID!, $text: String!, $k: String!) {
  updateDisputeEvidence(input: { id: $id, evidence: { productDescription: $text }, submit: false, idempotencyKey: $k }) {
    dispute { id }
    userErrors { code field message }
  }
}`;

describe('security round three: evidence length', () => {
  let sandbox: Sandbox;
  let probe: ProbeGateway;
  let id: string;
  beforeAll(async () => {
    sandbox = await startSandbox(23, { count: 30, only: ['STRIPE'] });
    probe = await probeGateway(sandbox);
    const open = await gql(probe.gateway.url, null, '{ disputes(first: 30, filter: { status: [NEEDS_RESPONSE] }) { nodes { id evidenceDetails { dueBy } } } }');
    id = open.body.data.disputes.nodes.find(
      (n: { evidenceDetails: { dueBy: string | null } }) => !n.evidenceDetails.dueBy || Date.parse(n.evidenceDetails.dueBy) > Date.now(),
    ).id;
  });
  afterAll(async () => {
    await probe.gateway.close();
    await sandbox.close();
  });

  it('item 14: 150,000 emoji count as 150,000 characters and are taken', async () => {
    const long = [
      'accessActivityLog',
      'cancellationPolicyDisclosure',
      'cancellationRebuttal',
      'duplicateChargeExplanation',
      'productDescription',
      'refundPolicyDisclosure',
      'refundRefusalExplanation',
    ];
    const evidence: Record<string, string> = Object.fromEntries(long.map((f) => [f, '😀'.repeat(20_000)]));
    evidence.customerName = '😀'.repeat(5_000);
    evidence.billingAddress = '😀'.repeat(5_000);
    const res = await gql(
      probe.gateway.url,
      null,
      `mutation($id: ID!, $evidence: DisputeEvidenceInput!) { updateDisputeEvidence(input: { id: $id, evidence: $evidence, submit: false, idempotencyKey: "emoji-150k-taken" }) { dispute { id } userErrors { code field message } } }`,
      { id, evidence },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.updateDisputeEvidence.userErrors).toEqual([]);
    expect(res.body.data.updateDisputeEvidence.dispute.id).toBe(id);
  });

  it('item 14: 150,001 code points are refused, the count stated in code points', async () => {
    const res = await gql(probe.gateway.url, null, STAGE, { id, text: '😀'.repeat(150_001), k: 'emoji-150k' });
    const [error] = res.body.data.updateDisputeEvidence.userErrors;
    expect(error.code).toBe('EVIDENCE_TOO_LONG');
    expect(error.field).toEqual(['input', 'evidence', 'productDescription']);
    expect(error.message).toContain('150001 characters (Unicode code points)');
  });
});

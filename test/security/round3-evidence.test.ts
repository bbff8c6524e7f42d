// Security round three, evidence length: characters are Unicode code points, as providers count
// them. 100,000 emoji are 100,000 characters (200,000 UTF-16 units), within Stripe's 150,000.
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

  it('item 14: 100,000 emoji count as 100,000 characters and are taken', async () => {
    const res = await gql(probe.gateway.url, null, STAGE, { id, text: '😀'.repeat(100_000), k: 'emoji-100k' });
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

// Evidence guidance and the checks before sending, through the real server and every provider's
// fake: each provider's disputes carry guidance (accepted fields as the provider says, the
// provenance of borrowed guidance, bank debits not contestable); validateOnly sends nothing at any
// provider; Stripe's limits at their edges (per field, in code points, and in total).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderName } from '../../src/domain/dispute.js';
import { PROVIDER_DEFINITIONS } from '../../src/providers/registry.js';
import { startSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness.js';

let h: SandboxHarness;
beforeAll(async () => {
  h = await startSandboxHarness(13);
});
afterAll(async () => {
  await h?.close();
});

const GUIDANCE = `evidenceGuidance { reason summary variant completeness readyToSubmit blockers secondsToDeadline sources
  items { field variant level group why satisfied accepted } }`;
const CHECK = `mutation($input: UpdateDisputeEvidenceInput!) { updateDisputeEvidence(input: $input) {
  dispute { id } userErrors { code field message } guidance { completeness readyToSubmit blockers variant items { field satisfied } } } }`;

/** Requests other than reads that reached a provider's fake. */
const writes = (provider: ProviderName) => h.fakes.get(provider)!.server.requests.filter((r) => r.method !== 'GET').length;

async function disputesOf(provider: ProviderName, status = 'NEEDS_RESPONSE') {
  const r = await h.gql(
    `{ disputes(first: 100, filter: { providers: [${provider}], status: [${status}] }) { nodes { id reason evidenceDetails { dueBy submissionCount } ${GUIDANCE} } } providers { provider capabilities { evidence { fields enhancedPrograms metadata fieldLimits { field maxCharacters } } } } }`,
  );
  expect(r.body.errors, r.text).toBeUndefined();
  return r.body.data;
}

describe('guidance on every provider’s disputes', () => {
  it.each(PROVIDER_DEFINITIONS.map((d) => d.name))('%s: items from its table, accepted as its capabilities say, with sources', async (provider) => {
    const data = await disputesOf(provider as ProviderName);
    const fields = new Set<string>(data.providers.find((p: { provider: string }) => p.provider === provider).capabilities.evidence.fields);
    expect(data.disputes.nodes.length).toBeGreaterThan(0);
    for (const d of data.disputes.nodes) {
      const g = d.evidenceGuidance;
      expect(g.reason).toBe(d.reason);
      expect(g.sources.length).toBeGreaterThan(0);
      expect(g.completeness).toBeGreaterThanOrEqual(0);
      expect(g.completeness).toBeLessThanOrEqual(1);
      expect(g.readyToSubmit).toBe(g.blockers.length === 0);
      if (d.evidenceDetails.dueBy) expect(Math.abs(g.secondsToDeadline - (Date.parse(d.evidenceDetails.dueBy) - Date.now()) / 1000)).toBeLessThan(60);
      for (const i of g.items) {
        expect(i.why.length).toBeGreaterThan(10);
        if (!i.field.startsWith('enhancedEvidence.')) expect(i.accepted, `${provider} ${i.field}`).toBe(fields.has(i.field));
      }
      // Borrowed guidance says so, in every item and once in the summary.
      if (provider === 'WOOSHPAY' || provider === 'FLEX') {
        expect(g.summary).toMatch(/no (evidence )?guidance of its own/i);
        for (const i of g.items) expect(i.why).toMatch(/no (evidence )?guidance of its own/i);
      }
    }
  });

  it('a bank debit cannot be contested: readyToSubmit is false, and the blocker says why', async () => {
    // Live (the reason filter needs the index, which this gateway runs without): filtered here.
    const r = await h.gql(`{ disputes(first: 100, filter: { providers: [STRIPE] }) { nodes { reason status ${GUIDANCE} } } }`);
    const nodes = r.body.data.disputes.nodes.filter((d: any) => ['DEBIT_NOT_AUTHORIZED', 'INSUFFICIENT_FUNDS', 'BANK_CANNOT_PROCESS'].includes(d.reason));
    expect(nodes.length).toBeGreaterThan(0);
    for (const d of nodes) {
      expect(d.evidenceGuidance.readyToSubmit).toBe(false);
      expect(d.evidenceGuidance.completeness).toBe(0);
      expect(d.evidenceGuidance.blockers.join(' ')).toMatch(/final/i);
    }
  });

  it('fraud needs one item of Compelling Evidence: not ready until one is staged; the variant follows the evidence', async () => {
    const data = await disputesOf('STRIPE');
    const fraud = data.disputes.nodes.find(
      (d: any) => d.reason === 'FRAUDULENT' && d.evidenceDetails.submissionCount === 0 && Date.parse(d.evidenceDetails.dueBy) > Date.now() + 3600_000,
    );
    expect(fraud).toBeDefined();
    const required = fraud.evidenceGuidance.items.filter((i: any) => i.level === 'REQUIRED');
    expect(required.length).toBeGreaterThan(0);
    expect(new Set(required.map((i: any) => i.group))).toEqual(new Set(['compelling-evidence']));
    // Shipping proof tells physical goods, and one compelling item satisfies the group.
    const checked = await h.gql(CHECK, {
      input: { id: fraud.id, validateOnly: true, evidence: { shippingTrackingNumber: '1Z999AA10123456784', shippingCarrier: 'UPS' } },
    });
    const g = checked.body.data.updateDisputeEvidence.guidance;
    expect(checked.body.data.updateDisputeEvidence.userErrors).toEqual([]);
    expect(g.variant).toBe('physical');
    expect(g.items.find((i: any) => i.field === 'shippingTrackingNumber').satisfied).toBe(true);
    if (!fraud.evidenceGuidance.readyToSubmit) expect(g.readyToSubmit).toBe(true);
    expect(g.completeness).toBeGreaterThan(fraud.evidenceGuidance.completeness);
  });
});

describe('validateOnly', () => {
  it.each(PROVIDER_DEFINITIONS.map((d) => d.name))('%s: checks the update, answers the guidance it would give, and sends nothing', async (provider) => {
    const data = await disputesOf(provider as ProviderName);
    const d = data.disputes.nodes.find(
      (n: any) => n.evidenceDetails.submissionCount === 0 && (!n.evidenceDetails.dueBy || Date.parse(n.evidenceDetails.dueBy) > Date.now()),
    );
    expect(d).toBeDefined();
    const before = writes(provider as ProviderName);
    const ok = await h.gql(CHECK, { input: { id: d.id, validateOnly: true, submit: true, evidence: { productDescription: 'A blue kettle, 1.7 l' } } });
    expect(ok.body.errors, ok.text).toBeUndefined();
    const r = ok.body.data.updateDisputeEvidence;
    expect(r.userErrors).toEqual([]);
    expect(r.dispute.id).toBe(d.id);
    const item = r.guidance.items.find((i: any) => i.field === 'productDescription');
    if (item) expect(item.satisfied).toBe(true);
    // Refused the same way as a real update would be: nothing sent either.
    const refused = await h.gql(CHECK, { input: { id: d.id, validateOnly: true, evidence: { productDescription: 'x'.repeat(20_001) } } });
    expect(refused.body.data.updateDisputeEvidence.userErrors[0]).toMatchObject({
      code: 'EVIDENCE_TOO_LONG',
      field: ['input', 'evidence', 'productDescription'],
    });
    expect(refused.body.data.updateDisputeEvidence.guidance).toBeNull();
    expect(writes(provider as ProviderName)).toBe(before);
  });
});

describe('Stripe’s limits at their edges', () => {
  let id: string;
  beforeAll(async () => {
    const data = await disputesOf('STRIPE');
    id = data.disputes.nodes.find((n: any) => n.evidenceDetails.submissionCount === 0 && Date.parse(n.evidenceDetails.dueBy) > Date.now() + 3600_000).id;
  });
  const check = (evidence: Record<string, string>) => h.gql(CHECK, { input: { id, validateOnly: true, evidence } });
  const errors = async (evidence: Record<string, string>) => (await check(evidence)).body.data.updateDisputeEvidence.userErrors;
  const EMOJI = '\u{1F4E6}';

  it('takes 20,000 characters in a long field and 5,000 in a short one, and refuses one more, naming the field', async () => {
    expect(await errors({ productDescription: 'a'.repeat(20_000), customerName: 'b'.repeat(5_000) })).toEqual([]);
    expect(await errors({ productDescription: 'a'.repeat(20_001) })).toEqual([
      expect.objectContaining({ code: 'EVIDENCE_TOO_LONG', field: ['input', 'evidence', 'productDescription'] }),
    ]);
    expect(await errors({ customerName: 'b'.repeat(5_001) })).toEqual([
      expect.objectContaining({ code: 'EVIDENCE_TOO_LONG', field: ['input', 'evidence', 'customerName'] }),
    ]);
  });

  it('counts an astral character once (a code point), not twice (UTF-16)', async () => {
    expect(await errors({ productDescription: EMOJI.repeat(20_000), shippingCarrier: EMOJI.repeat(5_000) })).toEqual([]);
    expect((await errors({ productDescription: EMOJI.repeat(20_001) }))[0]).toMatchObject({ code: 'EVIDENCE_TOO_LONG' });
    expect((await errors({ shippingCarrier: EMOJI.repeat(5_001) }))[0]).toMatchObject({ code: 'EVIDENCE_TOO_LONG' });
  });

  it('takes 150,000 characters in all, and refuses 150,001', async () => {
    const long = [
      'accessActivityLog',
      'cancellationPolicyDisclosure',
      'cancellationRebuttal',
      'duplicateChargeExplanation',
      'productDescription',
      'refundPolicyDisclosure',
      'refundRefusalExplanation',
    ];
    const evidence: Record<string, string> = Object.fromEntries(long.map((f) => [f, 'c'.repeat(20_000)]));
    evidence.customerName = 'd'.repeat(5_000);
    evidence.billingAddress = 'e'.repeat(5_000);
    expect(await errors(evidence)).toEqual([]);
    evidence.uncategorizedText = 'f';
    expect((await errors(evidence))[0]).toMatchObject({ code: 'EVIDENCE_TOO_LONG' });
  });
});

describe('metadata and enhanced evidence through the gateway (Stripe)', () => {
  const UPDATE = `mutation($input: UpdateDisputeEvidenceInput!) { updateDisputeEvidence(input: $input) {
    dispute { id metadata enhancedEligibilityTypes
      evidence { enhancedEvidence { visaCompliance { feeAcknowledged } visaCompellingEvidence3 { disputedTransaction { customerDeviceId merchandiseOrServices shippingAddress { city line2 } } priorUndisputedTransactions { charge } } } }
      evidenceDetails { enhancedEligibility { visaCompellingEvidence3 { status requiredActions } visaCompliance { status } mastercardCompliance { status } } } }
    userErrors { code field message } guidance { readyToSubmit blockers items { field level group satisfied accepted } } } }`;
  const open = async (eligible?: string) => {
    const r = await h.gql(
      `{ disputes(first: 100, filter: { providers: [STRIPE], status: [NEEDS_RESPONSE, WARNING_NEEDS_RESPONSE] }) { nodes { id reason enhancedEligibilityTypes metadata evidenceDetails { dueBy submissionCount } } } }`,
    );
    return r.body.data.disputes.nodes.filter(
      (n: any) =>
        n.evidenceDetails.submissionCount === 0 &&
        Date.parse(n.evidenceDetails.dueBy) > Date.now() + 3600_000 &&
        (eligible === undefined ? n.enhancedEligibilityTypes.length === 0 : n.enhancedEligibilityTypes.includes(eligible)),
    );
  };

  it('stages metadata and removes a key with null; refuses a non-string value naming the key, and metadata where the provider takes none', async () => {
    const [d] = await open();
    const set = await h.gql(UPDATE, { input: { id: d.id, evidence: {}, metadata: { order: 'A-1042', channel: 'web' } } });
    expect(set.body.data.updateDisputeEvidence.userErrors).toEqual([]);
    expect(set.body.data.updateDisputeEvidence.dispute.metadata).toMatchObject({ order: 'A-1042', channel: 'web' });
    const form = new URLSearchParams(h.fakes.get('STRIPE')!.server.requests.at(-1)!.body);
    expect([form.get('metadata[order]'), form.get('metadata[channel]')]).toEqual(['A-1042', 'web']);
    const cleared = await h.gql(UPDATE, { input: { id: d.id, evidence: {}, metadata: { channel: null } } });
    expect(cleared.body.data.updateDisputeEvidence.userErrors).toEqual([]);
    expect(cleared.body.data.updateDisputeEvidence.dispute.metadata).toMatchObject({ order: 'A-1042' });
    expect(cleared.body.data.updateDisputeEvidence.dispute.metadata.channel).toBeUndefined();
    const before = writes('STRIPE');
    const bad = await h.gql(UPDATE, { input: { id: d.id, evidence: {}, metadata: { count: 3 } } });
    expect(bad.body.data.updateDisputeEvidence.userErrors).toEqual([
      expect.objectContaining({ code: 'BAD_USER_INPUT', field: ['input', 'metadata', 'count'] }),
    ]);
    const long = await h.gql(UPDATE, { input: { id: d.id, evidence: {}, metadata: { ['k'.repeat(41)]: 'v' } } });
    expect(long.body.data.updateDisputeEvidence.userErrors[0]).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(writes('STRIPE')).toBe(before);
    const flex = (await disputesOf('FLEX')).disputes.nodes[0];
    const elsewhere = await h.gql(UPDATE, { input: { id: flex.id, evidence: {}, metadata: { order: 'A-1' } } });
    expect(elsewhere.body.data.updateDisputeEvidence.userErrors).toEqual([
      expect.objectContaining({ code: 'EVIDENCE_FIELD_UNSUPPORTED', field: ['input', 'metadata'] }),
    ]);
  });

  it('sends enhanced evidence only for a program the dispute is eligible for, naming the program otherwise; checks CE 3.0’s rules first', async () => {
    const [plain] = await open();
    const before = writes('STRIPE');
    const refused = await h.gql(UPDATE, { input: { id: plain.id, evidence: { enhancedEvidence: { visaCompliance: { feeAcknowledged: true } } } } });
    expect(refused.body.data.updateDisputeEvidence.userErrors).toEqual([
      expect.objectContaining({
        code: 'EVIDENCE_FIELD_UNSUPPORTED',
        field: ['input', 'evidence', 'enhancedEvidence', 'visaCompliance'],
        message: expect.stringContaining('visa_compliance'),
      }),
    ]);
    const shortId = await h.gql(UPDATE, {
      input: {
        id: plain.id,
        validateOnly: true,
        evidence: { enhancedEvidence: { visaCompellingEvidence3: { disputedTransaction: { customerDeviceId: '12345678901234' } } } },
      },
    });
    expect(shortId.body.data.updateDisputeEvidence.userErrors[0]).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: ['input', 'evidence', 'enhancedEvidence', 'visaCompellingEvidence3', 'disputedTransaction', 'customerDeviceId'],
    });
    const one = await h.gql(UPDATE, {
      input: {
        id: plain.id,
        validateOnly: true,
        evidence: { enhancedEvidence: { visaCompellingEvidence3: { priorUndisputedTransactions: [{ charge: 'ch_1' }] } } },
      },
    });
    expect(one.body.data.updateDisputeEvidence.userErrors[0]).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining('exactly two') });
    expect(writes('STRIPE')).toBe(before);
  });

  it('a Visa compliance dispute: the fee acknowledgement is the REQUIRED gate; staged, Stripe reports it acknowledged and the guidance is satisfied', async () => {
    const [d] = await open('visa_compliance');
    expect(d, 'a respondable dispute eligible for visa_compliance in the sandbox').toBeDefined();
    const check = await h.gql(UPDATE, { input: { id: d.id, validateOnly: true, evidence: { uncategorizedText: 'See attached.' } } });
    const gate = check.body.data.updateDisputeEvidence.guidance.items.filter((i: any) => i.level === 'REQUIRED');
    // Narrowed to the program this dispute is eligible for.
    expect(gate.map((i: any) => i.field)).toEqual(['enhancedEvidence.visaCompliance.feeAcknowledged']);
    expect(gate[0]).toMatchObject({ satisfied: false, accepted: true });
    expect(check.body.data.updateDisputeEvidence.guidance.readyToSubmit).toBe(false);
    const staged = await h.gql(UPDATE, { input: { id: d.id, evidence: { enhancedEvidence: { visaCompliance: { feeAcknowledged: true } } } } });
    const r = staged.body.data.updateDisputeEvidence;
    expect(r.userErrors).toEqual([]);
    expect(new URLSearchParams(h.fakes.get('STRIPE')!.server.requests.at(-1)!.body).get('evidence[enhanced_evidence][visa_compliance][fee_acknowledged]')).toBe(
      'true',
    );
    expect(r.dispute.evidence.enhancedEvidence.visaCompliance).toEqual({ feeAcknowledged: true });
    expect(r.dispute.evidenceDetails.enhancedEligibility.visaCompliance).toEqual({ status: 'fee_acknowledged' });
    expect(r.guidance.items.find((i: any) => i.field === 'enhancedEvidence.visaCompliance.feeAcknowledged').satisfied).toBe(true);
    expect(r.guidance.blockers.join(' ')).not.toMatch(/Required evidence is missing/);
  });

  it('a CE 3.0 dispute: Stripe’s required actions are items; a whole CE 3.0 block is staged and read back', async () => {
    const [d] = await open('visa_compelling_evidence_3');
    expect(d, 'a respondable CE 3.0 dispute in the sandbox').toBeDefined();
    const before = await h.gql(
      `query($id: ID!) { dispute(id: $id) { evidenceDetails { enhancedEligibility { visaCompellingEvidence3 { status requiredActions } } } evidenceGuidance { items { field level why } } } }`,
      { id: d.id },
    );
    const ce3 = before.body.data.dispute.evidenceDetails.enhancedEligibility.visaCompellingEvidence3;
    if (ce3.status === 'requires_action') {
      expect(ce3.requiredActions.length).toBeGreaterThan(0);
      for (const action of ce3.requiredActions)
        expect(
          before.body.data.dispute.evidenceGuidance.items.some(
            (i: any) => i.field.startsWith('enhancedEvidence.visaCompellingEvidence3') && i.why.includes(action),
          ) ||
            before.body.data.dispute.evidenceGuidance.items.some(
              (i: any) => i.field === 'enhancedEvidence.visaCompellingEvidence3.priorUndisputedTransactions',
            ),
          action,
        ).toBe(true);
    }
    const address = { line1: '1 Main St', line2: 'Unit 2', city: 'Springfield', state: 'IL', postalCode: '62701', country: 'US' };
    const txn = { customerDeviceId: 'IMEI-356938035643809', customerPurchaseIp: '203.0.113.7', productDescription: 'Blue kettle', shippingAddress: address };
    const staged = await h.gql(UPDATE, {
      input: {
        id: d.id,
        evidence: {
          enhancedEvidence: {
            visaCompellingEvidence3: {
              disputedTransaction: { ...txn, merchandiseOrServices: 'MERCHANDISE' },
              priorUndisputedTransactions: [
                { charge: 'ch_prior_1', ...txn },
                { charge: 'ch_prior_2', ...txn },
              ],
            },
          },
        },
      },
    });
    const r = staged.body.data.updateDisputeEvidence;
    expect(r.userErrors).toEqual([]);
    const form = new URLSearchParams(h.fakes.get('STRIPE')!.server.requests.at(-1)!.body);
    expect(form.get('evidence[enhanced_evidence][visa_compelling_evidence_3][prior_undisputed_transactions][1][charge]')).toBe('ch_prior_2');
    expect(form.get('evidence[enhanced_evidence][visa_compelling_evidence_3][disputed_transaction][merchandise_or_services]')).toBe('merchandise');
    expect(r.dispute.evidence.enhancedEvidence.visaCompellingEvidence3).toMatchObject({
      disputedTransaction: {
        customerDeviceId: txn.customerDeviceId,
        merchandiseOrServices: 'MERCHANDISE',
        shippingAddress: { city: 'Springfield', line2: 'Unit 2' },
      },
      priorUndisputedTransactions: [{ charge: 'ch_prior_1' }, { charge: 'ch_prior_2' }],
    });
    const prior = r.guidance.items.find((i: any) => i.field === 'enhancedEvidence.visaCompellingEvidence3.priorUndisputedTransactions');
    if (prior) expect(prior).toMatchObject({ satisfied: true, accepted: true });
  });
});

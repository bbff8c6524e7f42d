// The Stripe client against the Stripe fake over loopback, with both checked against Stripe's
// own OpenAPI description (a copy of Stripe's, test/fixtures/stripe/disputes-openapi.json).
import { readFileSync } from 'node:fs';
import { Agent } from 'undici';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/domain/errors.js';
import { silentLogger } from '../../src/logger.js';
import { StripeClient } from '../../src/providers/stripe/client.js';
import { stripe } from '../../src/providers/stripe/index.js';
import { decodeForm } from '../../src/providers/form.js';
import { seedStripeAppeals, seedStripeDisputes, seedStripeOpenCe3 } from '../../src/sandbox/stripe-shape/seed.js';
import { StripeFake } from '../../src/sandbox/stripe-shape/server.js';

const spec = JSON.parse(readFileSync(new URL('../fixtures/stripe/disputes-openapi.json', import.meta.url), 'utf8'));
const delta = spec['x-delta-2026'];
// Enhanced evidence, eligibility, submission_method and the appeal statuses, as JSON Schema (the
// fixture's x-delta-evidence, written from the reference: see its `source`).
const evidenceDelta = spec['x-delta-evidence'];

// The extraction keeps the dispute schemas; objects they reference but do not include (charge,
// payment_intent...) are expandable objects the fake never expands.
const schemas = openApiToJsonSchema(structuredClone(spec.components.schemas));
const referenced = JSON.stringify(spec).matchAll(/#\/components\/schemas\/([\w.]+)/g);
for (const [, name] of referenced) schemas[name!] ??= { type: 'object' };
// The fake speaks the 2026 API: `prevented` joined the status enum after the 2023 spec, and the
// appeal statuses after the pinned version (the fake holds them only where a test adds them).
schemas.dispute.properties.status.enum = [...delta['dispute.status.enum'], ...evidenceDelta['dispute.status.enum.appeal']];
// ...with enhanced evidence and eligibility checked field by field, and the submission method.
Object.assign(schemas, structuredClone(evidenceDelta.schemas));
schemas.dispute_evidence.properties.enhanced_evidence = { $ref: '#/components/schemas/dispute_enhanced_evidence' };
schemas.dispute_evidence_details.properties.enhanced_eligibility = { $ref: '#/components/schemas/dispute_enhanced_eligibility' };
schemas.dispute_evidence_details.properties.submission_method = { $ref: '#/components/schemas/dispute_submission_method' };
// ...and payment methods besides card, as the 2026 delta describes them.
{
  const pmd = schemas.dispute_payment_method_details;
  const nullable = (properties: Record<string, unknown>, required: string[]) => ({
    anyOf: [{ type: 'object', properties, required, additionalProperties: false }, { type: 'null' }],
  });
  const strOrNull = { type: ['string', 'null'] };
  pmd.properties.type.enum = delta['payment_method_details.type.enum'];
  pmd.properties.klarna = nullable({ reason_code: strOrNull, chargeback_loss_reason_code: { type: 'string' } }, ['reason_code']);
  pmd.properties.paypal = nullable({ case_id: strOrNull, reason_code: strOrNull }, ['case_id', 'reason_code']);
  pmd.properties.amazon_pay = nullable({ dispute_type: { enum: ['chargeback', 'claim', null] } }, ['dispute_type']);
}
const ajv = new Ajv({ strict: false, allErrors: true });

/** OpenAPI 3.0 `nullable` -> JSON Schema: null becomes one more allowed type (or anyOf branch). */
function openApiToJsonSchema(node: any): any {
  if (Array.isArray(node)) return node.map(openApiToJsonSchema);
  if (typeof node !== 'object' || node === null) return node;
  const out: any = {};
  for (const [k, v] of Object.entries(node)) if (k !== 'nullable') out[k] = openApiToJsonSchema(v);
  if (node.nullable === true) {
    if (out.type) out.type = [out.type, 'null'];
    else if (out.anyOf) out.anyOf = [...out.anyOf, { type: 'null' }];
    else if (out.$ref) return { anyOf: [{ $ref: out.$ref }, { type: 'null' }] };
  }
  return out;
}
// The list response schema is inline in the path; file it beside the others so its $refs resolve.
schemas.x_dispute_list = openApiToJsonSchema(spec.paths['/v1/disputes'].get.responses['200'].content['application/json'].schema);
ajv.addSchema({ $id: 'stripe', components: { schemas } });
const validDispute = ajv.getSchema('stripe#/components/schemas/dispute')!;
const validError = ajv.getSchema('stripe#/components/schemas/error')!;
const validList = ajv.getSchema('stripe#/components/schemas/x_dispute_list')!;
// The update's request body as a form decodes it: strings, so booleans are coerced; a form array
// ([0], [1]) read back as an array. Unknown evidence keys refused, as Stripe's form is closed.
const updateSchema = structuredClone(spec.paths['/v1/disputes/{dispute}'].post.requestBody.content['application/x-www-form-urlencoded'].schema);
updateSchema.properties.evidence.properties.enhanced_evidence = evidenceDelta.schemas.request_enhanced_evidence;
updateSchema.properties.evidence.additionalProperties = false;
const validUpdate = new Ajv({ strict: false, allErrors: true, coerceTypes: true }).compile(updateSchema);
const arraysBack = (v: unknown): unknown => {
  if (typeof v !== 'object' || v === null) return v;
  const entries = Object.entries(v).map(([k, x]) => [k, arraysBack(x)] as const);
  return entries.length > 0 && entries.every(([k], i) => k === String(i)) ? entries.map(([, x]) => x) : Object.fromEntries(entries);
};
const known = new Set([...Object.keys(spec.components.schemas.dispute.properties), ...Object.keys(delta['dispute.added_properties'])]);

const KEY = 'sk_test_providerTier0000000000000000';
let fake: StripeFake;
let client: StripeClient;
let agent: Agent;

beforeAll(async () => {
  fake = new StripeFake(KEY, [...seedStripeDisputes(3, 120), seedStripeOpenCe3(3), ...seedStripeAppeals(3)]);
  const url = await fake.start();
  agent = new Agent();
  client = new StripeClient(stripe.configFromEnv({ STRIPE_SECRET_KEY: KEY, STRIPE_API_BASE: url, STRIPE_RATE_LIMIT: '0' })!, {
    dispatcher: agent,
    logger: silentLogger,
  });
});
afterAll(async () => {
  await fake.close();
  await agent.close();
});

const raw = async (path: string, init: RequestInit = {}, key: string | null = KEY) => {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
  if (key !== null) headers.authorization = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
  const res = await fetch(`${fake.server.url}${path}`, { ...init, headers });
  return { status: res.status, body: await res.json() };
};

describe('Stripe fake against the OpenAPI description', () => {
  it('has a validator that rejects what Stripe would never send', () => {
    const good = fake.all()[0]!;
    expect(validDispute(good)).toBe(true);
    expect(validDispute({ ...good, amount: '10.00' })).toBe(false);
    expect(validDispute({ ...good, status: 'closed' })).toBe(false);
    expect(validDispute({ ...good, evidence_details: { ...good.evidence_details, has_evidence: undefined } })).toBe(false);
    expect(validList({ object: 'list', url: '/v1/disputes', data: [good] })).toBe(false);
  });

  it('serves seeded disputes that validate, with no undocumented field', () => {
    for (const d of fake.all()) {
      expect(validDispute(d), JSON.stringify(validDispute.errors)).toBe(true);
      for (const k of Object.keys(d)) expect(known, k).toContain(k);
    }
  });

  it('seeds every enhanced program, the submission method and the appeal statuses, each checked against the schema', () => {
    const all = fake.all();
    const types = new Set(all.flatMap((d) => d.enhanced_eligibility_types ?? []));
    expect([...types].sort()).toEqual(['mastercard_compliance', 'visa_compelling_evidence_3', 'visa_compliance']);
    expect(new Set(all.map((d) => d.status))).toEqual(new Set([...delta['dispute.status.enum'], 'appeal_needs_response', 'appeal_under_review']));
    expect(all.some((d) => d.evidence_details.submission_method === 'manual')).toBe(true);
    const ce3 = all.find((d) => d.enhanced_eligibility_types?.includes('visa_compelling_evidence_3'))!;
    const eligible = structuredClone(ce3);
    eligible.evidence_details.enhanced_eligibility = { visa_compliance: { status: 'acknowledged' as never } };
    expect(validDispute(eligible)).toBe(false);
  });

  it('answers list, retrieve and close with valid bodies', async () => {
    const list = await raw('/v1/disputes?limit=100&created[gte]=0');
    expect(list.status).toBe(200);
    expect(validList(list.body), JSON.stringify(validList.errors)).toBe(true);
    const open = fake.all().find((d) => d.status === 'needs_response')!;
    const one = await raw(`/v1/disputes/${open.id}`);
    expect(validDispute(one.body)).toBe(true);
    const closed = await raw(`/v1/disputes/${open.id}/close`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(closed.status).toBe(200);
    expect(validDispute(closed.body)).toBe(true);
    expect(closed.body.status).toBe('lost');
  });

  it.each([
    ['no key', '/v1/disputes', {}, null, 401],
    ['a wrong key', '/v1/disputes', {}, 'sk_test_nope', 401],
    ['an unknown dispute', '/v1/disputes/du_missing', {}, KEY, 404],
    ['an unknown parameter', '/v1/disputes?colour=red', {}, KEY, 400],
    ['an unknown created bound', '/v1/disputes?created[after]=1', {}, KEY, 400],
    ['a limit over 100', '/v1/disputes?limit=101', {}, KEY, 400],
    ['both cursors', '/v1/disputes?starting_after=a&ending_before=b', {}, KEY, 400],
    ['an unknown cursor', '/v1/disputes?starting_after=du_missing', {}, KEY, 400],
    ['an unknown route', '/v1/charges', {}, KEY, 404],
    [
      'an unknown close parameter',
      '/v1/disputes/du_x/close',
      { method: 'POST', body: 'reason=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      KEY,
      400,
    ],
  ] as const)('answers %s with Stripe’s error shape', async (_, path, init, key, status) => {
    const res = await raw(path, init as RequestInit, key);
    expect(res.status).toBe(status);
    expect(validError(res.body), JSON.stringify(validError.errors)).toBe(true);
    expect(JSON.stringify(res.body)).not.toContain(KEY);
  });

  it('replays an idempotent close and refuses the key for another request', async () => {
    const [a, b] = fake
      .all()
      .filter((d) => d.status === 'needs_response')
      .slice(1, 3);
    const post = (id: string) =>
      fetch(`${fake.server.url}/v1/disputes/${id}/close`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'idempotency-key': 'fake-key-1', 'content-type': 'application/x-www-form-urlencoded' },
      });
    const before = fake.closesExecuted;
    const first = await post(a!.id);
    const again = await post(a!.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    const other = await post(b!.id);
    expect(other.status).toBe(400);
    expect((await other.json()).error.type).toBe('idempotency_error');
    expect(fake.closesExecuted - before).toBe(1);
  });
});

describe('Stripe client against the fake', () => {
  it('sends only documented parameters, on documented paths, with Basic auth', async () => {
    const from = fake.server.received;
    const all = fake.all();
    await client.list({ limit: 5, filter: { charge: all[0]!.charge as string, created: { gte: new Date(0), lt: new Date() } } });
    await client.list({ limit: 5, startingAfter: all[3]!.id, filter: { paymentIntent: 'pi_x' } });
    await client.list({ limit: 5, endingBefore: all[9]!.id, filter: {} });
    await client.retrieve(all[1]!.id);
    await client.close(all.find((d) => d.status === 'warning_needs_response')!.id, { idempotencyKey: 'k-doc' });
    const sent = fake.server.requests.slice(fake.server.requests.length - (fake.server.received - from));
    expect(sent).toHaveLength(5);
    for (const r of sent) {
      expect(r.headers.authorization).toBe(`Basic ${Buffer.from(`${KEY}:`).toString('base64')}`);
      const template = r.path.replace(/^\/v1\/disputes\/[^/]+/, '/v1/disputes/{dispute}');
      const op = spec.paths[template]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${template}`).toBeDefined();
      const documented = new Set((op.parameters ?? []).map((p: { name: string }) => p.name));
      for (const name of new URLSearchParams(r.query).keys()) expect(documented, name).toContain(name.replace(/\[.*$/, ''));
    }
    const close = sent.at(-1)!;
    expect(close.method).toBe('POST');
    expect(close.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(close.headers['idempotency-key']).toBe('k-doc');
  });

  it('pages older with startingAfter and newer (nearest first, still newest first) with endingBefore', async () => {
    const ids = fake.all().map((d) => d.id);
    const older = await client.list({ limit: 4, startingAfter: ids[10], filter: {} });
    expect(older.items.map((i) => i.position)).toEqual(ids.slice(11, 15));
    expect(older.hasMore).toBe(true);
    const newer = await client.list({ limit: 4, endingBefore: ids[10], filter: {} });
    expect(newer.items.map((i) => i.position)).toEqual(ids.slice(6, 10));
    expect(newer.hasMore).toBe(true);
    const newest = await client.list({ limit: 4, endingBefore: ids[3], filter: {} });
    expect(newest.items.map((i) => i.position)).toEqual(ids.slice(0, 3));
    expect(newest.hasMore).toBe(false);
    const last = await client.list({ limit: 100, startingAfter: ids[ids.length - 3], filter: {} });
    expect(last.items.map((i) => i.position)).toEqual(ids.slice(-2));
    expect(last.hasMore).toBe(false);
  });

  it('retrieves null for a dispute Stripe does not have', async () => {
    expect(await client.retrieve('du_nothing_here')).toBeNull();
  });

  it("sends an update of fields, enhanced evidence and metadata that Stripe's request schema takes", async () => {
    const ce3 = fake.all().find((d) => d.status === 'needs_response' && d.enhanced_eligibility_types?.includes('visa_compelling_evidence_3'))!;
    const address = { city: 'Austin', country: 'US', line1: '1 Main St', line2: 'Unit 2', postalCode: '78701', state: 'TX' };
    const who = { customerAccountId: 'user-42', customerEmailAddress: 'ada@example.com', customerPurchaseIp: '203.0.113.9', shippingAddress: address };
    await client.updateEvidence(ce3.id, {
      evidence: { productDescription: 'Headphones', customerName: 'Ada' },
      enhancedEvidence: {
        visaCompellingEvidence3: {
          disputedTransaction: { ...who, customerDeviceId: 'IMEI-356938035643809', merchandiseOrServices: 'MERCHANDISE', productDescription: 'Headphones' },
          priorUndisputedTransactions: [
            { ...who, charge: 'ch_prior1', productDescription: 'Case' },
            { ...who, charge: 'ch_prior2', productDescription: 'Cable', customerDeviceFingerprint: null },
          ],
        },
      },
      metadata: { order: 'A-1', stale: null },
      submit: false,
      idempotencyKey: 'k-schema',
    });
    const sent = fake.server.requests.at(-1)!;
    expect(sent.path).toBe(`/v1/disputes/${ce3.id}`);
    const body = arraysBack(decodeForm(sent.body));
    expect(validUpdate(body), JSON.stringify(validUpdate.errors)).toBe(true);
    // And the check can fail: three prior transactions, or an unknown evidence key.
    const three = structuredClone(body) as any;
    three.evidence.enhanced_evidence.visa_compelling_evidence_3.prior_undisputed_transactions.push({ charge: 'ch_3' });
    expect(validUpdate(three)).toBe(false);
    expect(validUpdate({ ...(body as object), evidence: { colour: 'red' } })).toBe(false);
    // What the fake staged validates as Stripe's dispute, strictly enough to catch a wrong value deep inside.
    const staged = fake.get(ce3.id)!;
    expect(staged.evidence.enhanced_evidence!.visa_compelling_evidence_3!.prior_undisputed_transactions).toHaveLength(2);
    expect(validDispute(staged), JSON.stringify(validDispute.errors)).toBe(true);
    staged.evidence.enhanced_evidence!.visa_compelling_evidence_3!.disputed_transaction!.merchandise_or_services = 'goods' as never;
    expect(validDispute(staged)).toBe(false);
  });

  it('raises typed errors the gateway can map', async () => {
    const err = await client.close('du_nothing_here', { idempotencyKey: 'k-404' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: 'PROVIDER_ERROR', provider: 'STRIPE', status: 404, providerCode: 'resource_missing' });
    expect((err as ProviderError).requestId).toMatch(/^req_fake/);
  });
});

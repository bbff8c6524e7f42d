// Security round three, money-moving answers: when the shared state fails after the provider may
// have acted (here: the close is carried out, then its record cannot be written), the answer says
// the outcome is unknown — never "nothing was sent" — and the retry with the same key answers the
// closed dispute without closing it twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceUnavailable } from '../../src/domain/errors.js';
import { InMemoryIdempotencyStore, type IdempotencyRecord } from '../../src/gateway/idempotency.js';
import type { CloseResult } from '../../src/gateway/close.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { gql, probeGateway, type ProbeGateway } from './helpers.js';

/** A store whose next write of a result fails as a stalled Redis does. */
class StallingStore extends InMemoryIdempotencyStore<CloseResult> {
  stallNextResult = false;
  override async set(key: string, record: IdempotencyRecord<CloseResult>): Promise<void> {
    if (this.stallNextResult && record.result) {
      this.stallNextResult = false;
      throw new ServiceUnavailable();
    }
    return super.set(key, record);
  }
}

const CLOSE = 'mutation($id: ID!) { closeDispute(input: { id: $id, idempotencyKey: "stalled-close" }) { dispute { status } userErrors { code } } }';

describe('security round three: a close whose record could not be written', () => {
  let sandbox: Sandbox;
  let probe: ProbeGateway;
  const store = new StallingStore();
  beforeAll(async () => {
    sandbox = await startSandbox(37, { count: 20, only: ['STRIPE'] });
    probe = await probeGateway(sandbox, { state: { idempotency: store } });
  });
  afterAll(async () => {
    await probe.gateway.close();
    await sandbox.close();
  });

  it('item 12: says the outcome is unknown, and the retry answers without a second close', async () => {
    const url = probe.gateway.url;
    const list = await gql(url, null, '{ disputes(first: 20, filter: { status: [NEEDS_RESPONSE] }) { nodes { id providerDisputeId } } }');
    const target = list.body.data.disputes.nodes[0];
    const stripe = sandbox.fakes.find((f) => f.name === 'STRIPE')!.fake.server;
    const posts = () => stripe.requests.filter((r) => r.method === 'POST' && r.path === `/v1/disputes/${target.providerDisputeId}/close`);
    // Carried out once at the provider: every close it was sent carries the one Idempotency-Key.
    const closes = () => new Set(posts().map((r) => r.headers['idempotency-key'])).size;

    store.stallNextResult = true;
    const first = await gql(url, null, CLOSE, { id: target.id });
    const [error] = first.body.errors;
    expect(error.extensions.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.message).toContain('outcome is unknown');
    expect(error.message).not.toContain('nothing was sent');
    expect(closes()).toBe(1);

    const retry = await gql(url, null, CLOSE, { id: target.id });
    expect(retry.body.errors).toBeUndefined();
    expect(retry.body.data.closeDispute).toEqual({ dispute: { status: 'LOST' }, userErrors: [] });
    expect(closes()).toBe(1);
    expect(posts()[0]!.headers['idempotency-key']).toMatch(/^dg1-/);
  });
});

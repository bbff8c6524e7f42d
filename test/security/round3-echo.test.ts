// Security round three, the gateway's own changes: a provider event is the echo of a close only
// when the provider's state equals what the close produced, field for field. Flex's
// charge.dispute.updated with the same status but another reason is news, and is published.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { postWebhook } from '../helpers/events.js';
import { gql, probeGateway, type ProbeGateway } from './helpers.js';

describe("security round three: echoes of the gateway's own changes", () => {
  let sandbox: Sandbox;
  let probe: ProbeGateway;
  beforeAll(async () => {
    sandbox = await startSandbox(29, { count: 30, only: ['FLEX'] });
    probe = await probeGateway(sandbox);
  });
  afterAll(async () => {
    await probe.gateway.close();
    await sandbox.close();
  });

  it('item 13: a Flex update after the close with a changed reason is published; the exact echo is not', async () => {
    const url = probe.gateway.url;
    const origin = new URL(url).origin;
    const list = await gql(url, null, '{ disputes(first: 30, filter: { providers: [FLEX], status: [NEEDS_RESPONSE] }) { nodes { id providerDisputeId } } }');
    const target = list.body.data.disputes.nodes[0];
    const closed = await gql(
      url,
      null,
      'mutation($id: ID!) { closeDispute(input: { id: $id, idempotencyKey: "echo-close" }) { dispute { status } userErrors { code } } }',
      { id: target.id },
    );
    expect(closed.body.data.closeDispute.userErrors).toEqual([]);
    const raw = (await (
      await fetch(`${sandbox.env.FLEX_API_BASE}/v1/disputes/${target.providerDisputeId}`, { headers: { authorization: `Bearer ${sandbox.env.FLEX_API_KEY}` } })
    ).json()) as { dispute: Record<string, unknown> };
    const post = (object: Record<string, unknown>, id: string) =>
      // After the close (whole seconds): an event older than the close would carry the close's state.
      postWebhook(
        origin,
        'FLEX',
        { event_dt: Math.floor(Date.now() / 1000) + 2, event_id: id, event_type: 'charge.dispute.updated', object },
        sandbox.env.FLEX_WEBHOOK_SECRET!,
      );
    const events = async () =>
      (
        await gql(url, null, 'query($id: ID!) { disputeEvents(first: 10, filter: { disputeId: $id }) { nodes { type dispute { reason providerReason } } } }', {
          id: target.id,
        })
      ).body.data.disputeEvents.nodes;

    expect((await post(raw.dispute, 'fevt_echo_same')).status).toBe(200);
    await probe.gateway.services.events.settled();
    expect((await events()).map((e: { type: string }) => e.type)).toEqual(['CLOSED']);

    const otherReason = raw.dispute.reason === 'fraudulent' ? 'duplicate' : 'fraudulent';
    expect((await post({ ...raw.dispute, reason: otherReason }, 'fevt_echo_reason')).status).toBe(200);
    await probe.gateway.services.events.settled();
    const after = await events();
    expect(after.map((e: { type: string }) => e.type)).toEqual(['UPDATED', 'CLOSED']);
    expect(after[0].dispute.providerReason).toBe(otherReason);
  });
});

// What an operator reads: one access line per request, caller mistakes below error and without the
// query text, a request id honoured and echoed, and a replayed close audited as a replay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness.js';

let h: SandboxHarness;

beforeAll(async () => {
  h = await startSandboxHarness(42, { count: 30 });
});

afterAll(async () => {
  await h.close();
});

const lines = (from: number) => h.logs.slice(from).map((l) => JSON.parse(l) as Record<string, any>);

async function post(body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(h.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { res, body: (await res.json()) as any };
}

describe('logs', () => {
  it('writes one access line per request: request id (honoured and echoed), operation, status, duration, upstream calls, key', async () => {
    const from = h.logs.length;
    const { res } = await post({ query: 'query Inbox { disputes(first: 5) { nodes { id } } }' }, { 'x-request-id': 'req-from-the-caller-42' });
    expect(res.headers.get('x-request-id')).toBe('req-from-the-caller-42');
    const access = lines(from).filter((l) => l.msg === 'request');
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({
      level: 'info',
      requestId: 'req-from-the-caller-42',
      method: 'POST',
      status: 200,
      key: 'anonymous',
      operations: ['Inbox'],
      upstreamCalls: 4,
    });
    expect(typeof access[0]!.durationMs).toBe('number');
    // Without one (or with one that is not a plain token), the gateway makes one.
    const { res: second } = await post({ query: '{ __typename }' }, { 'x-request-id': 'bad id with spaces' });
    expect(second.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const unnamed = lines(from)
      .filter((l) => l.msg === 'request')
      .at(-1)!;
    expect(unnamed).toMatchObject({ requestId: second.headers.get('x-request-id'), operations: ['anonymous'], upstreamCalls: 0 });
  });

  it("logs a caller's mistakes below error, once, with the code and without the query text", async () => {
    const from = h.logs.length;
    const secretish = 'a-distinctive-query-word';
    await post({ query: `query ${secretish.replace(/-/g, '_')} { disputes(first: 1000) { nodes { id } } }` });
    await post({ query: '{ disputes(first: 5, after: "not-a-cursor") { nodes { id } } }' });
    const got = lines(from);
    expect(got.filter((l) => l.level === 'error' || l.level === 'warn')).toEqual([]);
    const access = got.filter((l) => l.msg === 'request');
    expect(access.map((l) => l.errors)).toEqual([{ BAD_USER_INPUT: 1 }, { BAD_USER_INPUT: 1 }]);
    for (const l of got.filter((x) => x.level !== 'debug')) expect(JSON.stringify(l)).not.toContain('disputes(first');
  });

  it('audits a close answered from the record as a replay, not as a second close', async () => {
    const list = await post({ query: '{ disputes(first: 30, filter: { provider: STRIPE }) { nodes { id closable } } }' });
    const id = list.body.data.disputes.nodes.find((n: { closable: boolean }) => n.closable).id;
    const from = h.logs.length;
    const close = {
      query: 'mutation($id: ID!) { closeDispute(input: { id: $id, idempotencyKey: "audit-replay" }) { dispute { status } } }',
      variables: { id },
    };
    await post(close);
    await post(close);
    const audits = lines(from).filter((l) => l.msg === 'audit');
    expect(audits).toHaveLength(2);
    expect(audits[0]).toMatchObject({ result: 'CLOSED' });
    expect(audits[0]!.replay).toBeUndefined();
    expect(audits[1]).toMatchObject({ result: 'CLOSED', replay: true });
  });
});

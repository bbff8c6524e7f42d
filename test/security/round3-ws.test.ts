// Security round three, WebSocket: a socket is authorised per operation against the key as it is
// now (revoked: closed 4403 and nothing runs; narrowed: the narrowed rights), every operation takes
// a rate token and writes an access line, sockets per key are bounded, connecting costs one token,
// and queries work with the response cache on. All through the real server, over raw graphql-ws
// frames so each refusal is seen as the protocol carries it.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { KeyStore, sha256 } from '../../src/auth/keys.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { sseSubscribe } from '../helpers/events.js';
import { gql, probeGateway, type ProbeGateway } from './helpers.js';

const REVOKABLE = 'gk_ws_revokable_6a1f3c9e2b7d4058';
const NARROW = 'gk_ws_narrowed_3e8b1d6f0a2c9457';
const SLOW = 'gk_ws_slow_rate_9d2f7a4c1e6b3085';
const ADMIN = 'gk_ws_admin_key_5c0e8a2f6d1b4973';

const key = (name: string, k: string, rest: Record<string, unknown> = {}) => ({
  name,
  key: `sha256:${sha256(k).toString('hex')}`,
  scopes: ['disputes:read', 'disputes:write'],
  rateLimit: { perSecond: 1000, burst: 1000 },
  ...rest,
});
const store = (keys: object[]) => KeyStore.parse(JSON.stringify(keys), 'test keys', { perSecond: 1000, burst: 1000 });
const ALL_KEYS = [
  key('revokable', REVOKABLE),
  key('narrowed', NARROW, { providers: ['STRIPE', 'AFTERPAY'] }),
  key('slow', SLOW, { rateLimit: { perSecond: 1, burst: 1 } }),
  key('admin', ADMIN),
];

interface Frame {
  type: string;
  id?: string;
  payload?: any;
}

/** A graphql-transport-ws connection spoken by hand: every frame kept, the close code when it closes. */
async function connect(url: string, opts: { header?: string; init?: string; from?: string } = {}) {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', {
    ...(opts.header && { headers: { authorization: `Bearer ${opts.header}` } }),
    ...(opts.from && { localAddress: opts.from }),
  });
  const frames: Frame[] = [];
  let closeCode: number | null = null;
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve((closeCode = code))));
  socket.on('message', (d) => frames.push(JSON.parse(String(d))));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init', payload: opts.init ? { authorization: `Bearer ${opts.init}` } : {} }));
  const waitFor = async (pred: (f: Frame) => boolean, ms = 5_000) => {
    const until = Date.now() + ms;
    for (;;) {
      const f = frames.find(pred);
      if (f) return f;
      if (Date.now() > until || closeCode !== null) throw new Error(`no such frame (closed: ${closeCode}); got ${JSON.stringify(frames).slice(0, 400)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await waitFor((f) => f.type === 'connection_ack');
  let n = 0;
  return {
    socket,
    frames,
    closed,
    closeCode: () => closeCode,
    /** Runs one operation; its id. */
    start(query: string, variables?: Record<string, unknown>) {
      const id = String(++n);
      socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
      return id;
    },
    /** The first `next` or `error` frame of an operation. */
    answer: (id: string, ms?: number) => waitFor((f) => f.id === id && (f.type === 'next' || f.type === 'error'), ms),
    close: () => socket.close(),
  };
}

const statusOf = async (url: string, id: string) =>
  (await gql(url, ADMIN, `query($id: ID!) { node(id: $id) { ... on Dispute { status } } }`, { id })).body.data.node.status;

describe('security round three: WebSocket', () => {
  let sandbox: Sandbox;
  let probe: ProbeGateway;
  let url: string;
  const sockets: { close(): void }[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox(11, { count: 30 });
    probe = await probeGateway(sandbox, { auth: { mode: 'keys', store: store(ALL_KEYS) }, wsConnectionsPerKey: 3 });
    url = probe.gateway.url;
  });
  afterAll(async () => {
    await probe.gateway.close();
    await sandbox.close();
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
    probe.gateway.reloadKeys(store(ALL_KEYS));
  });

  it('item 1: a revoked key cannot close a dispute on the socket it already has, and the socket closes 4403', async () => {
    const open = await gql(url, ADMIN, '{ disputes(first: 20, filter: { providers: [STRIPE], status: [NEEDS_RESPONSE] }) { nodes { id } } }');
    const target: string = open.body.data.disputes.nodes[0].id;
    const ws = await connect(url, { init: REVOKABLE });
    sockets.push(ws);
    expect((await ws.answer(ws.start('{ providers { provider } }'))).type).toBe('next');

    probe.gateway.reloadKeys(store(ALL_KEYS.filter((k) => k.name !== 'revokable')));
    // The close is sent at once: before any periodic check could have run, it meets the key as it is now.
    const id = ws.start(`mutation($id: ID!) { closeDispute(input: { id: $id, idempotencyKey: "revoked-close" }) { dispute { status } } }`, { id: target });
    expect(await ws.closed).toBe(4403);
    expect(ws.frames.some((f) => f.id === id && f.type === 'next')).toBe(false);
    expect(await statusOf(url, target)).toBe('NEEDS_RESPONSE');
    expect(probe.logs.some((l) => l.includes('"revokable"') && l.includes('closeDispute') && l.includes('audit'))).toBe(false);
  });

  it('item 1: a key that expires closes its idle socket within a second', async () => {
    const soon = new Date(Date.now() + 600).toISOString();
    probe.gateway.reloadKeys(store(ALL_KEYS.map((k) => (k.name === 'revokable' ? { ...k, expiresAt: soon } : k))));
    const ws = await connect(url, { header: REVOKABLE });
    sockets.push(ws);
    const started = Date.now();
    expect(await ws.closed).toBe(4403);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('item 3: rights narrowed by a reload apply to the next query on an open socket', async () => {
    const ws = await connect(url, { init: NARROW });
    sockets.push(ws);
    const before = await ws.answer(ws.start('{ providers { provider } }'));
    expect(before.payload.data.providers.map((p: { provider: string }) => p.provider).sort()).toEqual(['AFTERPAY', 'STRIPE']);
    probe.gateway.reloadKeys(store(ALL_KEYS.map((k) => (k.name === 'narrowed' ? { ...k, providers: ['STRIPE'] } : k))));
    const after = await ws.answer(ws.start('{ providers { provider } }'));
    expect(after.payload.data.providers.map((p: { provider: string }) => p.provider)).toEqual(['STRIPE']);
  });

  it('item 3: a subscription whose filter the narrowed key may no longer read ends with FORBIDDEN, over WebSocket and SSE', async () => {
    const ws = await connect(url, { init: NARROW });
    sockets.push(ws);
    const query = 'subscription($f: DisputeEventFilter) { disputeEvents(filter: $f) { type } }';
    const wsSub = ws.start(query, { f: { providers: ['AFTERPAY'] } });
    const everything = ws.start(query, {});
    const sse = await sseSubscribe(url, query, { f: { providers: ['AFTERPAY'] } }, NARROW);
    sockets.push(sse);
    await new Promise((r) => setTimeout(r, 100));
    probe.gateway.reloadKeys(store(ALL_KEYS.map((k) => (k.name === 'narrowed' ? { ...k, providers: ['STRIPE'] } : k))));
    const ended = await ws.answer(wsSub, 3_000);
    expect(ended.type).toBe('error');
    expect(ended.payload[0].extensions.code).toBe('FORBIDDEN');
    await sse.waitFor(1, 3_000);
    expect(sse.payloads[0]!.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // The unfiltered one goes on, narrowed: it may still read STRIPE.
    expect(ws.frames.some((f) => f.id === everything && (f.type === 'error' || f.type === 'complete'))).toBe(false);
  });

  it('item 4: connecting with the key on the upgrade costs one token; each operation takes one, over the rate answered RATE_LIMITED and the socket stays', async () => {
    // burst 1: the upgrade takes the one token, connection_init must not take a second.
    const ws = await connect(url, { header: SLOW });
    sockets.push(ws);
    const ids = Array.from({ length: 5 }, () => ws.start('query Probe { providers { provider } }'));
    const answers = await Promise.all(ids.map((id) => ws.answer(id)));
    const limited = answers.filter((a) => a.type === 'error' && a.payload[0].extensions.code === 'RATE_LIMITED');
    expect(limited.length).toBeGreaterThanOrEqual(4);
    expect(limited[0]!.payload[0].extensions.retryAfterMs).toBeGreaterThan(0);
    expect(ws.closeCode()).toBeNull();
    // One access line per operation, with the key's name.
    await new Promise((r) => setTimeout(r, 50));
    const lines = probe.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request' && l.method === 'WS' && l.key === 'slow');
    expect(lines.length).toBe(5);
    expect(lines.filter((l) => l.errors?.RATE_LIMITED === 1).length).toBe(limited.length);
  });

  it('item 4: an operation that runs writes its access line with its upstream calls', async () => {
    const ws = await connect(url, { init: ADMIN });
    sockets.push(ws);
    expect((await ws.answer(ws.start('query Inbox { disputes(first: 5) { nodes { id } } }'))).type).toBe('next');
    await new Promise((r) => setTimeout(r, 50));
    const line = probe.logs
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'request' && l.method === 'WS' && l.key === 'admin' && l.operations?.includes('Inbox'));
    expect(line).toBeDefined();
    expect(line.upstreamCalls).toBeGreaterThan(0);
  });

  it('item 4: a burst of operations sent at once cannot pass the per-socket bound, and each subscription ended by the socket closing writes its access line', async () => {
    const ws = await connect(url, { init: ADMIN });
    sockets.push(ws);
    // Thirty subscriptions in one write: the messages are handled concurrently.
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(String(100 + i));
    for (const id of ids)
      ws.socket.send(
        JSON.stringify({ id, type: 'subscribe', payload: { operationName: `Burst${id}`, query: `subscription Burst${id} { disputeEvents { id } }` } }),
      );
    await new Promise((r) => setTimeout(r, 300));
    const refused = ws.frames.filter((f) => f.type === 'error' && f.payload?.[0]?.extensions?.code === 'TOO_MANY_OPERATIONS').length;
    expect(refused).toBeGreaterThanOrEqual(10);
    const lines = () => probe.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request' && l.method === 'WS' && /^Burst/.test(l.operations?.[0] ?? ''));
    expect(lines().filter((l) => l.errors?.TOO_MANY_OPERATIONS)).toHaveLength(refused);
    ws.close();
    await ws.closed;
    await new Promise((r) => setTimeout(r, 100));
    // The running ones (at most 20) end with the socket, each with its line.
    const ran = lines().filter((l) => !l.errors?.TOO_MANY_OPERATIONS).length;
    expect(ran).toBeLessThanOrEqual(20);
    expect(ran).toBe(30 - refused);
  });

  it('item 4: sockets per key are bounded (WS_CONNECTIONS_PER_KEY)', async () => {
    for (let i = 0; i < 3; i++) sockets.push(await connect(url, { header: ADMIN }));
    await expect(connect(url, { header: ADMIN })).rejects.toThrow(/429/);
    // Through connection_init as well: closed with 4429.
    await expect(connect(url, { init: ADMIN })).rejects.toThrow(/closed: 4429/);
    sockets.pop()!.close();
    await new Promise((r) => setTimeout(r, 100));
    sockets.push(await connect(url, { header: ADMIN }));
  });
});

describe('security round three: WebSocket with the response cache on', () => {
  let sandbox: Sandbox;
  let probe: ProbeGateway;

  beforeAll(async () => {
    sandbox = await startSandbox(11, { count: 30 });
    probe = await probeGateway(sandbox, { auth: { mode: 'keys', store: store(ALL_KEYS) }, responseCache: { ttlMs: 60_000 } });
  });
  afterAll(async () => {
    await probe.gateway.close();
    await sandbox.close();
  });

  it('item 11: queries over WebSocket answer (twice), the socket and its subscription stay, and nothing is printed outside the logger', async () => {
    const printed = [vi.spyOn(console, 'error'), vi.spyOn(console, 'warn'), vi.spyOn(console, 'log')];
    try {
      const ws = await connect(probe.gateway.url, { init: ADMIN });
      const sub = ws.start('subscription { disputeEvents { type } }');
      for (let i = 0; i < 2; i++) {
        const a = await ws.answer(ws.start('{ disputes(first: 3) { nodes { id status } } }'));
        expect(a.type).toBe('next');
        expect(a.payload.data.disputes.nodes.length).toBe(3);
        ws.frames.length = 0;
      }
      expect(ws.closeCode()).toBeNull();
      expect(ws.frames.some((f) => f.id === sub && (f.type === 'error' || f.type === 'complete'))).toBe(false);
      ws.close();
      for (const spy of printed) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of printed) spy.mockRestore();
    }
  });
});

describe('security round three: subscriptions without keys', () => {
  let sandbox: Sandbox;
  let probe: ProbeGateway;
  beforeAll(async () => {
    sandbox = await startSandbox(31, { count: 10 });
    probe = await probeGateway(sandbox, { subscriptionsPerKey: 2 });
  });
  afterAll(async () => {
    await probe.gateway.close();
    await sandbox.close();
  });

  it('item 15: the subscription cap is per client address, so one client cannot take every subscription', async () => {
    const query = 'subscription { disputeEvents { type } }';
    const first = await connect(probe.gateway.url, { from: '127.0.0.1' });
    const ids = [first.start(query), first.start(query), first.start(query)];
    // graphql-ws carries an error the resolver threw as a `next` with errors, then `complete`.
    const refused = await first.answer(ids[2]!);
    expect(refused.payload.errors[0].extensions.code).toBe('TOO_MANY_SUBSCRIPTIONS');
    expect(refused.payload.errors[0].message).toContain('anonymous@127.0.0.1');
    // Another client address still gets its own.
    const other = await connect(probe.gateway.url, { from: '127.0.0.2' });
    const mine = other.start(query);
    await new Promise((r) => setTimeout(r, 200));
    expect(other.frames.some((f) => f.id === mine)).toBe(false);
    expect(probe.gateway.services.events.subscribers).toBe(3);
    first.close();
    other.close();
  });
});

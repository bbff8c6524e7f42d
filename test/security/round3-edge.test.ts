// Security round three, the edge: /metrics on the main port keeps the Host rule and, while keys
// are configured, needs a key with metrics:read; webhooks keep the Host rule; the probes stay
// exempt (Kubernetes calls them by pod IP).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyStore, sha256 } from '../../src/auth/keys.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { MAX_OPERATION_NAMES } from '../../src/ops/metrics.js';
import { gql, probeGateway, raw, READER, type ProbeGateway } from './helpers.js';

const SCRAPER = 'gk_probe_scraper_7e2a9c4f1b6d3058';
const keys = KeyStore.parse(
  JSON.stringify([
    { name: 'reader', key: `sha256:${sha256(READER).toString('hex')}`, scopes: ['disputes:read'] },
    { name: 'scraper', key: `sha256:${sha256(SCRAPER).toString('hex')}`, scopes: ['metrics:read'] },
  ]),
  'test keys',
  { perSecond: 1000, burst: 1000 },
);

describe('security round three: /metrics and webhooks on the main port', () => {
  let sandbox: Sandbox;
  let keyed: ProbeGateway;
  let open: ProbeGateway;
  beforeAll(async () => {
    sandbox = await startSandbox(17, { count: 20 });
    keyed = await probeGateway(sandbox, { auth: { mode: 'keys', store: keys } });
    open = await probeGateway(sandbox);
  });
  afterAll(async () => {
    await keyed.gateway.close();
    await open.gateway.close();
    await sandbox.close();
  });

  const get = (base: string, path: string, headers: Record<string, string> = {}) => raw(base, { method: 'GET', path, headers });

  it('item 8: /metrics needs a key with metrics:read while keys are configured', async () => {
    const base = keyed.gateway.url;
    expect((await get(base, '/metrics')).status).toBe(401);
    const reader = await get(base, '/metrics', { authorization: `Bearer ${READER}` });
    expect(reader.status).toBe(403);
    expect(JSON.parse(reader.text).errors[0].extensions.code).toBe('FORBIDDEN');
    const scraper = await get(base, '/metrics', { authorization: `Bearer ${SCRAPER}` });
    expect(scraper.status).toBe(200);
    expect(scraper.text).toContain('# TYPE');
    // metrics:read reads nothing else.
    const q = await raw(base, {
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SCRAPER}` },
      body: '{"query":"{ disputes(first: 1) { nodes { id } } }"}',
    });
    expect(q.text).not.toContain('"nodes":[{');
  });

  it('item 8: the Host rule applies to /metrics and /webhooks/*, not to the probes', async () => {
    for (const gw of [keyed, open]) {
      const base = gw.gateway.url;
      const rebound = { host: 'attacker.example' };
      const m = await get(base, '/metrics', { ...rebound, authorization: `Bearer ${SCRAPER}` });
      expect(m.status).toBe(421);
      expect(JSON.parse(m.text).errors[0].extensions.code).toBe('HOST_NOT_ALLOWED');
      const w = await raw(base, { method: 'POST', path: '/webhooks/stripe', headers: { ...rebound, 'content-type': 'application/json' }, body: '{}' });
      expect(w.status).toBe(421);
      expect((await get(base, '/healthz', rebound)).status).toBe(200);
      expect((await get(base, '/readyz', rebound)).status).toBe(200);
    }
    // Open gateways (the sandbox) keep /metrics without a key.
    expect((await get(open.gateway.url, '/metrics')).status).toBe(200);
  });

  it('item 9: refused operations take no operation_name slot', async () => {
    const url = keyed.gateway.url;
    // The scraper key has no read scope: every one of these is refused before it runs.
    for (let i = 0; i <= MAX_OPERATION_NAMES; i++) {
      const r = await gql(url, SCRAPER, `query Junk${i} { disputes(first: 1) { nodes { id } } }`);
      expect(r.body.errors[0].extensions.code).toBe('FORBIDDEN');
    }
    expect((await gql(url, READER, 'query RealInbox { disputes(first: 1) { nodes { id } } }')).body.data.disputes.nodes).toHaveLength(1);
    const text = (await get(url, '/metrics', { authorization: `Bearer ${SCRAPER}` })).text;
    expect(text).toMatch(/operation_name="RealInbox"/);
    expect(text).not.toMatch(/operation_name="Junk\d+"/);
    expect(text).toMatch(/operation_name="refused"/);
  });
});

// A gateway with mistyped provider addresses, as a newcomer might start it: every failing provider
// is named in the first response (its own error entry, in every operation that asked it) and in
// the log, and a 404 from a wrong URL is never mistaken for "no such dispute".
import { PROVIDER_DEFINITIONS } from '../../src/providers/registry.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeDisputeId } from '../../src/domain/ids.js';
import { createLogger } from '../../src/logger.js';
import { providersFromEnv } from '../../src/providers/registry.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startGateway, type Gateway } from '../../src/server.js';

let sandbox: Sandbox;
const logs: string[] = [];

async function gateway(env: Record<string, string>): Promise<Gateway> {
  const providers = providersFromEnv({ ...sandbox.env, ...env });
  return startGateway({ providers, logger: createLogger({ level: 'debug', write: (l) => logs.push(l) }) });
}

async function post(g: Gateway, body: unknown) {
  const res = await fetch(g.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return res.json() as Promise<any>;
}

beforeAll(async () => {
  sandbox = await startSandbox(4, { count: 20 });
});

afterAll(async () => {
  await sandbox.close();
});

const PAGE = '{ disputes(first: 10) { nodes { provider } } }';
const codes = (errors: { extensions: { provider: string; code: string } }[]) => errors.map((e) => `${e.extensions.provider}:${e.extensions.code}`).sort();

describe('several providers failing', () => {
  it('names every failing provider in the first response and in the log, the others still answering', async () => {
    const g = await gateway({ FLEX_API_BASE: `${sandbox.env.FLEX_API_BASE}/typo`, AFTERPAY_API_BASE: 'http://127.0.0.1:9' });
    try {
      const from = logs.length;
      const first = await post(g, { query: PAGE });
      expect(new Set(first.data.disputes.nodes.map((n: { provider: string }) => n.provider))).toEqual(new Set(['STRIPE', 'WOOSHPAY']));
      expect(codes(first.errors)).toEqual(['AFTERPAY:PROVIDER_UNAVAILABLE', 'FLEX:PROVIDER_ERROR']);
      expect(first.errors.find((e: { extensions: { provider: string } }) => e.extensions.provider === 'FLEX').extensions.providerStatus).toBe(404);
      const warned = logs
        .slice(from)
        .map((l) => JSON.parse(l))
        .filter((l) => l.msg === 'provider error');
      expect(warned.map((l) => l.provider).sort()).toEqual(['AFTERPAY', 'FLEX']);
      // Every operation of a batch that asks them gets the errors too.
      const batch = await post(g, [
        { query: PAGE },
        { query: '{ a: disputes(first: 2) { nodes { id } } b: disputes(first: 3, filter: { providers: [FLEX, STRIPE] }) { nodes { id } } }' },
      ]);
      expect(codes(batch[0].errors)).toEqual(['AFTERPAY:PROVIDER_UNAVAILABLE', 'FLEX:PROVIDER_ERROR']);
      expect(codes(batch[1].errors)).toEqual(['AFTERPAY:PROVIDER_UNAVAILABLE', 'FLEX:PROVIDER_ERROR', 'FLEX:PROVIDER_ERROR']);
    } finally {
      await g.close();
    }
  });

  it('reports each of them when every provider asked fails', async () => {
    const g = await gateway({
      STRIPE_API_BASE: 'http://127.0.0.1:9',
      WOOSHPAY_API_BASE: `${sandbox.env.WOOSHPAY_API_BASE}/typo`,
      FLEX_API_BASE: `${sandbox.env.FLEX_API_BASE}/typo`,
      AFTERPAY_API_BASE: `${sandbox.env.AFTERPAY_API_BASE}/typo`,
    });
    try {
      const res = await post(g, { query: PAGE });
      expect(res.data).toBeNull();
      expect(codes(res.errors)).toEqual(['AFTERPAY:PROVIDER_ERROR', 'FLEX:PROVIDER_ERROR', 'STRIPE:PROVIDER_UNAVAILABLE', 'WOOSHPAY:PROVIDER_ERROR']);
    } finally {
      await g.close();
    }
  });
});

describe('a 404 that is not "no such dispute"', () => {
  it.each(PROVIDER_DEFINITIONS.map((d) => d.name))('%s at a wrong path: PROVIDER_ERROR naming it, from dispute and from closeDispute', async (provider) => {
    const real = sandbox.fakes.find((f) => f.name === provider)!.fake.ordered()[0]!;
    const id = encodeDisputeId({ provider, account: 'default', providerDisputeId: real });
    const g = await gateway({ [`${provider}_API_BASE`]: `${sandbox.env[`${provider}_API_BASE`]}/wrong-path` });
    try {
      const read = await post(g, { query: 'query($id: ID!) { dispute(id: $id) { id } }', variables: { id } });
      expect(read.errors?.[0]?.extensions).toMatchObject({ code: 'PROVIDER_ERROR', provider, providerStatus: 404 });
      const close = await post(g, { query: 'mutation($id: ID!) { closeDispute(input: { id: $id }) { userErrors { code } } }', variables: { id } });
      expect(close.errors?.[0]?.extensions).toMatchObject({ code: 'PROVIDER_ERROR', provider });
    } finally {
      await g.close();
    }
    // At the right address, a dispute that does not exist is still simply null.
    const ok = await gateway({});
    try {
      const missing = encodeDisputeId({ provider, account: 'default', providerDisputeId: `${real.split('_')[0]}_doesNotExist00` });
      const read = await post(ok, { query: 'query($id: ID!) { dispute(id: $id) { id } }', variables: { id: missing } });
      expect(read).toEqual({ data: { dispute: null } });
    } finally {
      await ok.close();
    }
  });
});

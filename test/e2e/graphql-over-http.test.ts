// The GraphQL over HTTP audit suite (graphql-http) against the real gateway on loopback.
import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ count: 5 });
});
afterAll(async () => {
  await h.close();
});

describe('GraphQL over HTTP', () => {
  const audits = serverAudits({ url: () => h.gateway.url, fetchFn: fetch });

  it('runs all 61 audits', () => {
    expect(audits).toHaveLength(61);
  });

  for (const audit of audits) {
    it(`${audit.id} ${audit.name}`, async () => {
      const result = await audit.fn();
      expect(result.status, 'reason' in result ? result.reason : '').toBe('ok');
    });
  }

  it('refuses a mutation over GET with 405', async () => {
    const q = encodeURIComponent('mutation { closeDispute(input: { id: "x" }) { userErrors { code } } }');
    const res = await fetch(`${h.gateway.url}?query=${q}`, { headers: { accept: 'application/graphql-response+json' } });
    expect(res.status).toBe(405);
    expect(h.stripe.server.count('POST', /close$/)).toBe(0);
  });
});

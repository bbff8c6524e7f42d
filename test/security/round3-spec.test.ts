// Security round three, answers' shape: a page the gateway-side scan bound stopped says so in
// extensions and carries no `errors` key at all (the spec: absent or non-empty; clients test
// `if (result.errors)` and would take the page as failed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { gql, probeGateway, type ProbeGateway } from './helpers.js';

describe('security round three: a scan-limited page', () => {
  let sandbox: Sandbox;
  let probe: ProbeGateway;
  beforeAll(async () => {
    sandbox = await startSandbox(13, { count: 260 });
    probe = await probeGateway(sandbox, { merge: { maxScanPages: 1 } });
  });
  afterAll(async () => {
    await probe.gateway.close();
    await sandbox.close();
  });

  it('item 16: carries extensions.scanLimited and no errors key', async () => {
    for (const status of ['PREVENTED', 'WON']) {
      const res = await gql(
        probe.gateway.url,
        null,
        `query($s: [DisputeStatus!]) { disputes(first: 50, filter: { providers: [STRIPE], status: $s }) { nodes { id } } }`,
        { s: [status] },
      );
      expect(res.status).toBe(200);
      expect(res.body.extensions?.scanLimited?.length).toBeGreaterThan(0);
      expect(Object.keys(res.body)).not.toContain('errors');
      expect(res.text).not.toContain('"errors"');
    }
  });
});

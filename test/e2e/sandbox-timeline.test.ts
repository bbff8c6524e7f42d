// The sandbox lives in the present: its seeded timeline is anchored to the day it starts, so open
// disputes have deadlines ahead (some within 48 hours) and a few are past due, with pastDue
// consistent with dueBy at every provider; and it is the same data for a seed all day long.
import { PROVIDER_DEFINITIONS } from '../../src/providers/registry.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAfterpayDisputes } from '../../src/providers/afterpay/fake/seed.js';
import { seedFlexDisputes } from '../../src/providers/flex/fake/seed.js';
import { seedStripeDisputes } from '../../src/sandbox/stripe-shape/seed.js';
import { seedWooshPayDisputes } from '../../src/providers/wooshpay/fake/seed.js';
import { sandboxEpoch } from '../../src/sandbox/random.js';
import { startSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness.js';

let h: SandboxHarness;

beforeAll(async () => {
  h = await startSandboxHarness(42);
});

afterAll(async () => {
  await h.close();
});

interface Node {
  provider: string;
  status: string;
  evidenceDetails: { dueBy: string | null; pastDue: boolean };
}

async function everything(): Promise<Node[]> {
  const out: Node[] = [];
  let after: string | null = null;
  for (;;) {
    const res: Awaited<ReturnType<typeof h.gql<{ disputes: { nodes: Node[]; pageInfo: { hasNextPage: boolean; endCursor: string } } }>>> = await h.gql<{
      disputes: { nodes: Node[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
    }>(
      'query($after: String) { disputes(first: 100, after: $after) { nodes { provider status evidenceDetails { dueBy pastDue } } pageInfo { hasNextPage endCursor } } }',
      { after },
    );
    expect(res.body.errors).toBeUndefined();
    out.push(...res.body.data!.disputes.nodes);
    if (!res.body.data!.disputes.pageInfo.hasNextPage) return out;
    after = res.body.data!.disputes.pageInfo.endCursor;
  }
}

describe('the sandbox timeline', () => {
  it('gives every provider open disputes due ahead, some within 48 hours, a few past due, pastDue matching dueBy', async () => {
    const now = Date.now();
    const all = await everything();
    for (const provider of PROVIDER_DEFINITIONS.map((d) => d.name)) {
      const open = all.filter((d) => d.provider === provider && (d.status === 'NEEDS_RESPONSE' || d.status === 'WARNING_NEEDS_RESPONSE'));
      expect(open.length, provider).toBeGreaterThan(5);
      const due = (d: Node) => Date.parse(d.evidenceDetails.dueBy!);
      const ahead = open.filter((d) => due(d) > now);
      expect(ahead.length, provider).toBeGreaterThan(open.length / 2);
      expect(
        ahead.some((d) => due(d) - now < 48 * 3600_000),
        provider,
      ).toBe(true);
      const past = open.filter((d) => due(d) <= now);
      expect(past.length, provider).toBeGreaterThan(0);
      for (const d of open) expect(d.evidenceDetails.pastDue, `${provider} ${d.evidenceDetails.dueBy}`).toBe(due(d) <= now);
    }
    // A dispute flagged past due has its deadline behind it, at any provider and status.
    for (const d of all.filter((x) => x.evidenceDetails.pastDue)) expect(Date.parse(d.evidenceDetails.dueBy!)).toBeLessThan(now);
  });

  it('is the same for a seed and a day, and moves with the day', () => {
    const day = Date.UTC(2026, 10, 23, 9, 30);
    const later = Date.UTC(2026, 10, 23, 23, 59);
    const tomorrow = Date.UTC(2026, 10, 24, 0, 1);
    for (const seed of [seedStripeDisputes, seedWooshPayDisputes, seedFlexDisputes, seedAfterpayDisputes] as ((
      s: number,
      n: number,
      e: number,
    ) => unknown[])[]) {
      expect(seed(42, 50, sandboxEpoch(day))).toEqual(seed(42, 50, sandboxEpoch(later)));
      expect(seed(42, 50, sandboxEpoch(day))).not.toEqual(seed(42, 50, sandboxEpoch(tomorrow)));
    }
    expect(sandboxEpoch(day)).toBe(Date.UTC(2026, 10, 23) / 1000);
  });
});

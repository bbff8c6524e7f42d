// Bench child: the four fakes with fixed data, and a control port reporting request counts.
// BENCH_FAKES_COUNT sets the disputes per provider (each fake's own default when unset): the index
// scenarios run a second one with a quarter of BENCH_INDEX_DISPUTES each.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DisputeStatus } from '../src/domain/dispute.js';
import { startSandbox } from '../src/sandbox/index.js';

const count = process.env.BENCH_FAKES_COUNT ? Number(process.env.BENCH_FAKES_COUNT) : undefined;
const sandbox = await startSandbox(42, { count });
const control = createServer((req, res) => {
  if (req.url === '/reset') for (const { fake } of sandbox.fakes) fake.server.requests.length = 0;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(Object.fromEntries(sandbox.fakes.map(({ name, fake }) => [name, fake.server.requests.length]))));
  // The request log is the fakes' instrumentation: keep only its length between reads.
  for (const { fake } of sandbox.fakes) if (fake.server.requests.length > 100_000) fake.server.requests.length = 0;
});
await new Promise<void>((r) => control.listen(0, '127.0.0.1', () => r()));
const ids = Object.fromEntries(sandbox.fakes.map(({ name, fake }) => [name, fake.ordered().slice(0, 50)]));
// What the gateway must count, from the fakes' own data: disputes held (a fake may add a few to its
// seeded count) and disputes per status over every fake.
const held = Object.fromEntries(sandbox.fakes.map(({ name, fake }) => [name, fake.ordered().length]));
const statuses: Partial<Record<DisputeStatus, number>> = {};
for (const { fake } of sandbox.fakes) for (const d of fake.expected()) statuses[d.status] = (statuses[d.status] ?? 0) + 1;
process.stdout.write(`${JSON.stringify({ env: sandbox.env, control: `http://127.0.0.1:${(control.address() as AddressInfo).port}`, ids, held, statuses })}\n`);

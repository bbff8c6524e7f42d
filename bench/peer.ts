// The bench's peer, variant (d): GraphQL Mesh (compose-cli + @omnigraph/openapi) composing Stripe's
// disputes OpenAPI into a supergraph, served by Hive Gateway, pointed at the same Stripe fake.
// Its packages live in bench/peers/, installed only by `npm run bench -- --peers` (npm ci there),
// never by the project's own install.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVIDENCE_FILE_FIELDS, EVIDENCE_TEXT_FIELDS } from '../src/domain/dispute.js';

export const PEER_NAME = 'GraphQL Mesh (compose-cli + @omnigraph/openapi) on Hive Gateway';
const DIR = new URL('./peers/', import.meta.url).pathname;

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const isFile = (f: string) => (EVIDENCE_FILE_FIELDS as readonly string[]).includes(f);
// Mesh turns Stripe's `string | File` file fields into an object with one field per alternative.
const fileAlt = (f: string) => `query_GetDisputes_oneOf_0_data_items_evidence_${snake(f)}_anyOf_0`;
const evidence = (fields: readonly string[]) => fields.map((f) => (isFile(f) ? `${snake(f)} { ${fileAlt(f)} }` : snake(f))).join(' ');

const ONE = `id amount currency status reason created evidence { ${evidence(['customerName', 'productDescription', 'receipt'])} } evidence_details { due_by has_evidence submission_count }`;
const ref = (f: string) => `${f} { query_GetDisputes_oneOf_0_data_items_${f}_anyOf_0 }`;
const PAGE = `id amount currency status reason created ${ref('charge')} ${ref('payment_intent')} evidence { ${evidence([...EVIDENCE_TEXT_FIELDS, ...EVIDENCE_FILE_FIELDS].sort())} } evidence_details { due_by has_evidence past_due submission_count }`;
export const PEER_QUERIES = {
  one: (id: string) =>
    JSON.stringify({
      query: `query One($id: queryInput_GetDisputesDispute_dispute!) { GetDisputesDispute(dispute: $id) { ... on Dispute { ${ONE} } } }`,
      variables: { id },
    }),
  page: () => JSON.stringify({ query: `{ GetDisputes(limit: 100) { ... on DisputeList { data { ${PAGE} } } } }` }),
};

/**
 * The peer's answer read into the gateway's shape (camelCase, ISO times, upper-case enums, files as
 * `{ id }`), so "the same data" is checked field by field before anything is timed.
 */
export function peerAsGateway(d: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) {
    const key = k === 'id' ? 'providerDisputeId' : camel(k);
    if (k === 'created' || k === 'due_by') out[key] = v === null ? null : new Date((v as number) * 1000).toISOString();
    else if (k === 'status' || k === 'reason') out[key] = (v as string).toUpperCase();
    else if (k === 'charge' || k === 'payment_intent')
      out[key] = v === null ? null : (v as Record<string, unknown>)[`query_GetDisputes_oneOf_0_data_items_${k}_anyOf_0`];
    else if (k === 'evidence_details') out.evidenceDetails = peerAsGateway(v as Record<string, unknown>);
    else if (k === 'evidence') {
      const e: Record<string, unknown> = {};
      for (const [f, x] of Object.entries(v as Record<string, unknown>)) {
        const name = camel(f);
        e[name] = isFile(name) ? (x === null ? null : { id: (x as Record<string, unknown>)[fileAlt(name)] }) : x;
      }
      out.evidence = e;
    } else out[key] = v;
  }
  return out;
}

/** The gateway's answer with only the fields the peer has (the peer has no global id nor provider). */
export function comparable(g: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, provider: _provider, ...rest } = g;
  return rest;
}

/** Installs the peer's packages if asked and missing; composes the supergraph; starts Hive Gateway. */
export async function startPeer(env: { STRIPE_API_BASE: string; STRIPE_SECRET_KEY: string }): Promise<{ proc: ChildProcess; url: string }> {
  if (!existsSync(join(DIR, 'node_modules/@graphql-hive/gateway'))) {
    console.error('bench: installing the peer (bench/peers: npm ci) …');
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: DIR, stdio: 'inherit' });
  }
  const bin = (pkg: string, name: string) => {
    const meta = JSON.parse(readFileSync(join(DIR, 'node_modules', pkg, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    return join(DIR, 'node_modules', pkg, meta.bin[name]!);
  };
  const work = mkdtempSync(join(tmpdir(), 'bench-peer-'));
  const supergraph = join(work, 'supergraph.graphql');
  execFileSync(process.execPath, [bin('@graphql-mesh/compose-cli', 'mesh-compose'), '-o', supergraph], { cwd: DIR, stdio: ['ignore', 'ignore', 'inherit'] });
  // Hive Gateway reports the port it was given, not the one bound: take a free one first.
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = probe.address() as { port: number };
      probe.close(() => resolve(p));
    });
  });
  const proc = spawn(
    process.execPath,
    [bin('@graphql-hive/gateway', 'hive-gateway'), 'supergraph', supergraph, '--host', '127.0.0.1', '--port', String(port), '--disable-websockets'],
    {
      cwd: work,
      env: {
        ...process.env,
        STRIPE_API_BASE: env.STRIPE_API_BASE,
        STRIPE_BASIC: Buffer.from(`${env.STRIPE_SECRET_KEY}:`).toString('base64'),
        NODE_ENV: 'production',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (c: Buffer) => {
      out += c.toString();
      // eslint-disable-next-line no-control-regex -- strips the peer's ANSI colour codes
      const m = /Listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out.replace(/\x1b\[[0-9;]*m/g, ''));
      if (m) {
        proc.stdout!.off('data', onData);
        proc.stderr!.off('data', onData);
        proc.stdout!.resume();
        proc.stderr!.resume();
        resolve({ proc, url: `${m[1]}/graphql` });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`the peer exited ${code}: ${out}`)));
  });
}

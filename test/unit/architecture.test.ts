// Rules of the code's shape that review alone would let slip.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../../src/', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Modules that only the sandbox and the tests use. */
const isFakeOrSandbox = (path: string) => /\/fake\/|^sandbox\//.test(path) || path.startsWith('sandbox/');

describe('production code', () => {
  it('never statically imports a fake or the sandbox (they load on demand, only when one runs)', () => {
    const offenders: string[] = [];
    for (const file of files(SRC)) {
      const rel = relative(SRC, file);
      if (isFakeOrSandbox(rel)) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(/^import\s+(type\s+)?[^;]*?from\s+'([^']+)';/gms)) {
        const [, typeOnly, spec] = m;
        if (typeOnly) continue;
        if (/\/fake\/|sandbox\//.test(spec!)) offenders.push(`${rel} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

/**
 * The layers of src/, lowest first: a module may import (values or types) from its own layer and
 * those below, never from above. A provider's fake (`providers/<name>/fake/`) belongs to the sandbox.
 */
const LAYERS: string[][] = [
  ['domain'],
  ['context', 'logger', 'version', 'token-bucket', 'process-guards'],
  ['providers'],
  ['gateway', 'index'],
  ['events', 'auth'],
  ['ops'],
  ['graphql', 'state'],
  ['http', 'sandbox'],
  ['config', 'server'],
  ['main'],
];

/** The part of src/ a module is in: its top folder (a provider's own folder counts as `providers`, its fake as `sandbox`). */
const partOf = (rel: string): string => {
  if (/^providers\/[^/]+\/fake\//.test(rel)) return 'sandbox';
  return rel.split('/')[0]!.replace(/\.ts$/, '');
};
const layerOf = (part: string): number => LAYERS.findIndex((l) => l.includes(part));

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

/** Every static relative import in src/ (dynamic `import()` is not one: it loads an optional part on demand). */
function imports(): Edge[] {
  const edges: Edge[] = [];
  for (const file of files(SRC)) {
    const from = relative(SRC, file);
    for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s+(type\s+)?([^;]*?)from\s+'(\.[^']+)';/gms)) {
      const [, typeKeyword, names, spec] = m;
      const to = relative(SRC, join(file, '..', spec!.replace(/\.js$/, '.ts')));
      // `import { type A, type B }` is type-only too.
      const typeOnly = !!typeKeyword || /^\s*\{\s*(?:type\s+[\w$]+(?:\s+as\s+[\w$]+)?\s*,?\s*)+\}\s*$/.test(names!);
      edges.push({ from, to, typeOnly });
    }
  }
  return edges;
}

/** The strongly connected groups of more than one module (Tarjan), each sorted. */
function cycles(edges: Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  let n = 0;
  const visit = (v: string) => {
    index.set(v, n);
    low.set(v, n++);
    stack.push(v);
    on.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) out.push(group.sort());
    }
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('the layers of src/', () => {
  const edges = imports();

  it('knows the layer of every part of src/', () => {
    const parts = new Set(files(SRC).map((f) => partOf(relative(SRC, f))));
    expect([...parts].filter((p) => layerOf(p) < 0)).toEqual([]);
  });

  it('has no cycle of value imports', () => {
    expect(cycles(edges.filter((e) => !e.typeOnly))).toEqual([]);
  });

  it('has type-only cycles only inside one part', () => {
    expect(cycles(edges).filter((group) => new Set(group.map(partOf)).size > 1)).toEqual([]);
  });

  it('keeps each provider to itself: a provider folder imports the kit, never another provider', () => {
    const folder = (rel: string) => /^providers\/([^/]+)\//.exec(rel)?.[1];
    const crossing = edges.filter((e) => {
      const [from, to] = [folder(e.from), folder(e.to)];
      return from !== undefined && from !== 'kit' && to !== undefined && to !== 'kit' && to !== from;
    });
    expect(crossing.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it("names a provider only in its own folder, the registries and the SDL's enum (generated into domain/)", async () => {
    const { PROVIDER_DEFINITIONS } = await import('../../src/providers/registry.js');
    const allowed = (rel: string, provider: string) =>
      rel.startsWith(`providers/${provider.toLowerCase()}/`) ||
      ['providers/registry.ts', 'sandbox/registry.ts', 'domain/schema-enums.ts'].includes(rel) ||
      rel.startsWith('graphql/generated/');
    const named: string[] = [];
    for (const file of files(SRC)) {
      const rel = relative(SRC, file);
      const text = readFileSync(file, 'utf8');
      for (const { name } of PROVIDER_DEFINITIONS) if (!allowed(rel, name) && new RegExp(`['"\`]${name}['"\`]`).test(text)) named.push(`${rel} names ${name}`);
    }
    expect(named).toEqual([]);
  });

  it('imports nothing from a higher layer', () => {
    const upward = edges.filter((e) => layerOf(partOf(e.to)) > layerOf(partOf(e.from))).map((e) => `${e.from} -> ${e.to}`);
    expect(upward).toEqual([]);
  });
});

describe('the docs, read against the registry', () => {
  const configuration = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  const providersPage = readFileSync(new URL('../../docs/providers.md', import.meta.url), 'utf8');
  // Options every provider has, documented once for Stripe and by a shared row for the others.
  const SHARED = new Set(['rateLimit', 'breakerThreshold', 'breakerCooldownMs']);
  // As PROVIDERS_FILE reads options: camelCase to upper snake, prefixed unless already (stripeAccount is STRIPE_ACCOUNT).
  const envName = (provider: string, option: string) => {
    const snake = option.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
    return snake.startsWith(`${provider}_`) ? snake : `${provider}_${snake}`;
  };

  it('documents every option of every registered provider in the configuration table (docs/configuration.md)', async () => {
    const { PROVIDER_DEFINITIONS } = await import('../../src/providers/registry.js');
    const missing: string[] = [];
    for (const d of PROVIDER_DEFINITIONS) {
      for (const option of d.options) {
        const name = envName(d.name, option);
        const documented = configuration.includes(`| \`${name}\``) || (SHARED.has(option) && new RegExp(`\`${d.name}_…\``).test(configuration));
        if (!documented) missing.push(name);
      }
    }
    expect(missing).toEqual([]);
  });

  it('gives every registered provider its page (docs/providers/<name>.md: statuses, reasons, fields, disagreements), linked from docs/providers.md and its mapping tables', async () => {
    const { PROVIDER_DEFINITIONS } = await import('../../src/providers/registry.js');
    const problems: string[] = [];
    for (const d of PROVIDER_DEFINITIONS) {
      const file = `providers/${d.name.toLowerCase()}.md`;
      if (!providersPage.includes(`](${file})`)) problems.push(`docs/providers.md does not link ${file}`);
      if (!new RegExp(`^\\| Provider value \\|.*\\b${d.displayName}\\b`, 'm').test(providersPage))
        problems.push(`docs/providers.md: no mapping column for ${d.displayName}`);
      let page = '';
      try {
        page = readFileSync(new URL(`../../docs/${file}`, import.meta.url), 'utf8');
      } catch {
        problems.push(`docs/${file} is missing`);
        continue;
      }
      if (!page.startsWith(`# ${d.displayName}\n`)) problems.push(`docs/${file} does not open with # ${d.displayName}`);
      for (const heading of ['## Statuses', '## Reasons', '## Fields', '## Where the documents disagree'])
        if (!page.includes(heading)) problems.push(`docs/${file}: no "${heading}"`);
    }
    expect(problems).toEqual([]);
  });
});

describe('the functions of src/', () => {
  it('are each short enough to hold in mind: none over 60 lines (generated code aside)', async () => {
    const ts = (await import('typescript')).default;
    const long: string[] = [];
    for (const file of files(SRC)) {
      const rel = relative(SRC, file);
      if (rel.includes('/generated/')) continue;
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
      const visit = (node: import('typescript').Node): void => {
        if (ts.isFunctionLike(node) && 'body' in node && node.body) {
          const lines = source.getLineAndCharacterOfPosition(node.getEnd()).line - source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
          if (lines > 60) long.push(`${rel}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1} ${lines} lines`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    expect(long).toEqual([]);
  });
});

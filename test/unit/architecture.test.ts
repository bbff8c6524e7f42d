// Rules of the code's shape that review alone would let slip.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../../src/', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
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

describe('the README, read against the registry', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  // Options every provider has, documented once for Stripe and by a shared row for the others.
  const SHARED = new Set(['rateLimit', 'breakerThreshold', 'breakerCooldownMs']);
  // As PROVIDERS_FILE reads options: camelCase to upper snake, prefixed unless already (stripeAccount is STRIPE_ACCOUNT).
  const envName = (provider: string, option: string) => {
    const snake = option.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
    return snake.startsWith(`${provider}_`) ? snake : `${provider}_${snake}`;
  };

  it('documents every option of every registered provider in the configuration table', async () => {
    const { PROVIDER_DEFINITIONS } = await import('../../src/providers/registry.js');
    const missing: string[] = [];
    for (const d of PROVIDER_DEFINITIONS) {
      for (const option of d.options) {
        const name = envName(d.name, option);
        const documented = readme.includes(`| \`${name}\``) || (SHARED.has(option) && new RegExp(`\`${d.name}_…\``).test(readme));
        if (!documented) missing.push(name);
      }
    }
    expect(missing).toEqual([]);
  });

  it('names every registered provider in the provider-specific fields table and the mapping tables', async () => {
    const { PROVIDER_DEFINITIONS } = await import('../../src/providers/registry.js');
    const section = readme.slice(readme.indexOf('## Status and reason mapping'), readme.indexOf('## Architecture'));
    expect(PROVIDER_DEFINITIONS.filter((d) => !section.includes(d.displayName)).map((d) => d.name)).toEqual([]);
  });
});

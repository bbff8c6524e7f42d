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

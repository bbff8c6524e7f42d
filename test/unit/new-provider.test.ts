// The provider scaffold: what `npm run new-provider -- <Name>` writes compiles where it goes, as
// the new provider's own code (none of the template's names left), and bad names are refused.
import ts from 'typescript';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scaffold } from '../../scripts/new-provider.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Type errors of the scaffolded files, checked in memory at src/providers/ against the real tree. */
function typeErrors(files: Map<string, string>): string[] {
  const overlay = new Map([...files].map(([path, text]) => [join(ROOT, 'src/providers', path), text]));
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
  const host = ts.createCompilerHost(config.options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (f) => overlay.has(f) || fileExists(f);
  host.readFile = (f) => overlay.get(f) ?? readFile(f);
  const dirs = new Set([...overlay.keys()].flatMap((f) => [dirname(f), dirname(dirname(f))]));
  const { directoryExists } = host;
  host.directoryExists = (d) => dirs.has(d.replace(/\/$/, '')) || (directoryExists?.(d) ?? ts.sys.directoryExists(d));
  host.getSourceFile = (f, lang, ...rest) => (overlay.has(f) ? ts.createSourceFile(f, overlay.get(f)!, lang) : getSourceFile(f, lang, ...rest));
  const program = ts.createProgram([...overlay.keys()], { ...config.options, noEmit: true }, host);
  return ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName.replace(ROOT, '') ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

describe('the provider scaffold', () => {
  const files = scaffold('Acme');

  it('writes the folder a provider has: wire, transformers, client, definition and fake', () => {
    expect([...files.keys()].sort()).toEqual(['acme/client.ts', 'acme/fake/index.ts', 'acme/index.ts', 'acme/transformers.ts', 'acme/wire.ts']);
  });

  it("leaves none of the template's names behind", () => {
    for (const [path, text] of files) {
      expect(text, path).not.toMatch(/testpay|_template\b(?!\/)/i);
      expect(text, path).toContain('Acme');
    }
    expect(files.get('acme/index.ts')).toMatch(/name: ACME,[\s\S]*displayName: 'Acme'[\s\S]*env\.ACME_API_KEY/);
  });

  it('compiles where it goes, against the real src/', () => {
    expect(typeErrors(files)).toEqual([]);
  }, 60_000);

  it('refuses a name that is not a capitalised word, and the names taken', () => {
    for (const bad of ['acme', 'Ac me', '9Pay', 'A', 'Kit', 'TestPay', '../Evil']) expect(() => scaffold(bad), bad).toThrow();
  });
});

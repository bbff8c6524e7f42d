// Scaffolds a provider: copies src/providers/_template/ (TestPay, a complete small provider) to
// src/providers/<name>/ with its names replaced, then prints what else to add (one line in each
// registry, one enum value, its docs rows; docs/adding-a-provider.md has the whole list).
//
//   npm run new-provider -- Acme          writes src/providers/acme/
//   npm run new-provider -- Acme --dry-run   prints the files instead
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROVIDERS = fileURLToPath(new URL('../src/providers/', import.meta.url));
const TEMPLATE = join(PROVIDERS, '_template');

/** The template's files under their new names, with TestPay's names (in each case) replaced by the new provider's. */
export function scaffold(displayName: string): Map<string, string> {
  if (!/^[A-Z][A-Za-z0-9]{1,30}$/.test(displayName))
    throw new Error(`a provider's name is a letter then letters or digits, capitalised as displayed, like Acme; got ${JSON.stringify(displayName)}`);
  const upper = displayName.toUpperCase();
  const lower = displayName.toLowerCase();
  if (lower === 'kit' || lower === 'testpay') throw new Error(`${displayName} is taken`);
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) {
        const text = readFileSync(path, 'utf8').replace(/TestPay|TESTPAY|testpay/g, (m) => (m === 'TestPay' ? displayName : m === 'TESTPAY' ? upper : lower));
        files.set(join(lower, relative(TEMPLATE, path)), path.endsWith('/_template/index.ts') ? withOwnHeader(text, displayName) : text);
      }
    }
  };
  walk(TEMPLATE);
  return files;
}

/** index.ts's opening comment speaks of the template; the new provider's says what it is. */
function withOwnHeader(text: string, displayName: string): string {
  const body = text.replace(/^(\/\/.*\n)+/, '');
  return `// ${displayName}: its ProviderDefinition (scaffolded from src/providers/_template/; see docs/adding-a-provider.md).\n${body}`;
}

function main(argv: string[]): void {
  const dryRun = argv.includes('--dry-run');
  const name = argv.find((a) => !a.startsWith('--'));
  if (!name) throw new Error('usage: npm run new-provider -- <Name> [--dry-run]');
  const files = scaffold(name);
  const folder = join(PROVIDERS, name.toLowerCase());
  if (dryRun) {
    for (const [path, text] of files) process.stdout.write(`==> src/providers/${path}\n${text}\n`);
    return;
  }
  if (existsSync(folder)) throw new Error(`src/providers/${name.toLowerCase()}/ exists already`);
  for (const [path, text] of files) {
    mkdirSync(dirname(join(PROVIDERS, path)), { recursive: true });
    writeFileSync(join(PROVIDERS, path), text);
  }
  const lower = name.toLowerCase();
  process.stdout.write(
    `Wrote src/providers/${lower}/ (${files.size} files). Then:\n` +
      `  1. src/providers/registry.ts: import { ${lower} } from './${lower}/index.js' and add it to BUILT_IN;\n` +
      `  2. src/sandbox/registry.ts: add ${lower}Sandbox from '../providers/${lower}/fake/index.js';\n` +
      `  3. schema/dispute.graphql: add ${name.toUpperCase()} to enum DisputeProvider, then npm run codegen;\n` +
      `  4. docs/configuration.md and docs/providers/: its options and its mapping rows (the architecture test checks them).\n`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`new-provider: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

// The gateway's own name and version, as it introduces itself to providers.
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export const GATEWAY_VERSION: string = pkg.version;

/** The User-Agent sent to every provider (Afterpay's documented form extends it). */
export const GATEWAY_USER_AGENT = `DisputeGateway/${GATEWAY_VERSION} (Node.js/${process.versions.node})`;

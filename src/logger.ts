// One JSON line per event. Every line passes through redaction of every configured secret,
// so a credential that reaches a message or a field by accident still never reaches the output.

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** Replaces every configured secret in `text`. */
  redact(text: string): string;
}

export interface LoggerOptions {
  level?: Level;
  secrets?: string[];
  /** Where lines go (default: stdout, batched); `urgent` for warnings and errors. */
  write?: (line: string, urgent?: boolean) => void;
}

const REDACTED = '[REDACTED]';

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The forms a secret can take on its way back to us: itself in any letter case, with any of its
 * characters percent-encoded, and base64 (standard or URL alphabet, padded or not) of itself and of the Basic credentials
 * built from it, at each of the three alignments it can have inside a longer base64 text.
 */
export function secretForms(secret: string): { exact: string[]; anyCase: string[] } {
  // Each character as itself or percent-encoded, matched without regard to case (see makeRedactor).
  const anyCase = new Set([
    [...secret]
      .map((c) => {
        const code = c.charCodeAt(0);
        return code < 128 ? `(?:${escapeRegExp(c)}|%${code.toString(16).padStart(2, '0')})` : escapeRegExp(c);
      })
      .join(''),
  ]);
  const exact = new Set<string>();
  for (const text of [secret, `${secret}:`, `:${secret}`]) {
    for (let shift = 0; shift < 3; shift++) {
      // Encoded after `shift` other bytes, the secret's own characters start at the next whole
      // group; the ones shared with its neighbours are left out so any surrounding matches.
      const b64 = Buffer.from('\0'.repeat(shift) + text)
        .toString('base64')
        .replace(/=+$/, '');
      const start = shift === 0 ? 0 : Math.ceil((shift * 4) / 3);
      const end = b64.length - ((shift + text.length) % 3 === 0 ? 0 : 1);
      const core = b64.slice(start, end);
      if (core.length >= 8) {
        exact.add(core);
        exact.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
      }
    }
  }
  return { exact: [...exact], anyCase: [...anyCase] };
}

export function makeRedactor(secrets: string[]): (text: string) => string {
  const list = [...new Set(secrets.filter((s) => s && s.length >= 4))];
  if (list.length === 0) return (t) => t;
  const exact = new Set<string>();
  const anyCase = new Set<string>();
  for (const s of list) {
    const forms = secretForms(s);
    forms.exact.forEach((f) => exact.add(f));
    forms.anyCase.forEach((f) => anyCase.add(f));
  }
  // Longest first, so a form that contains another is replaced whole.
  const byLength = (a: string, b: string) => b.length - a.length;
  const insensitive = new RegExp([...anyCase].sort(byLength).join('|'), 'gi');
  const sensitive = exact.size > 0 ? new RegExp([...exact].sort(byLength).map(escapeRegExp).join('|'), 'g') : null;
  return (text) => {
    const out = text.replace(insensitive, REDACTED);
    return sensitive ? out.replace(sensitive, REDACTED) : out;
  };
}

/**
 * Writes lines to stdout; if stdout's reader goes away (`npm start | head`), to stderr; then nowhere.
 * A pipe that fails emits 'error': unheard, that is an uncaught exception, which the process guards
 * would log — to the same broken pipe, again and again. One listener per stream ends that.
 */
let fallbackWriter: ((line: string, urgent?: boolean) => void) | undefined;
/**
 * Lines are gathered and written together once per turn of the event loop (or at 64 KiB): one
 * write for many access lines instead of one each (a pipe's write is synchronous on Linux, and
 * under load those writes were a tenth of the gateway's time). A warning or an error is written at
 * once with whatever waits before it, and what waits is written on exit, so nothing is lost to a
 * crash that exits, and the order holds.
 */
function processWriter(): (line: string, urgent?: boolean) => void {
  if (fallbackWriter) return fallbackWriter;
  const streams = [process.stdout, process.stderr];
  const broken = new Set<NodeJS.WriteStream>();
  for (const s of streams) s.on('error', () => broken.add(s));
  let pending = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending === '') return;
    const text = pending;
    pending = '';
    streams.find((s) => !broken.has(s) && !s.destroyed)?.write(text);
  };
  process.on('exit', flush);
  fallbackWriter = (line, urgent = false) => {
    pending += `${line}\n`;
    if (urgent || pending.length >= 64 * 1024) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush).unref();
    }
  };
  return fallbackWriter;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const min = ORDER[opts.level ?? 'info'];
  const write = opts.write ?? processWriter();
  const redact = makeRedactor(opts.secrets ?? []);
  const log = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const record = { time: new Date().toISOString(), level, msg, ...fields };
    write(redact(JSON.stringify(record, errorReplacer)), ORDER[level] >= ORDER.warn);
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    redact,
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const { name, message, stack } = value;
    const code = (value as { code?: unknown }).code;
    return { name, message, code, stack };
  }
  return value;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  redact: (t) => t,
};

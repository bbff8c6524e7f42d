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
  write?: (line: string) => void;
}

const REDACTED = '[REDACTED]';

export function makeRedactor(secrets: string[]): (text: string) => string {
  // Longest first, so a secret that contains another is replaced whole.
  const list = [...new Set(secrets.filter((s) => s && s.length >= 4))].sort((a, b) => b.length - a.length);
  if (list.length === 0) return (t) => t;
  return (text) => {
    let out = text;
    for (const s of list) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  };
}

/**
 * Writes lines to stdout; if stdout's reader goes away (`npm start | head`), to stderr; then nowhere.
 * A pipe that fails emits 'error': unheard, that is an uncaught exception, which the process guards
 * would log — to the same broken pipe, again and again. One listener per stream ends that.
 */
let fallbackWriter: ((line: string) => void) | undefined;
function processWriter(): (line: string) => void {
  if (fallbackWriter) return fallbackWriter;
  const streams = [process.stdout, process.stderr];
  const broken = new Set<NodeJS.WriteStream>();
  for (const s of streams) s.on('error', () => broken.add(s));
  fallbackWriter = (line) => {
    const target = streams.find((s) => !broken.has(s) && !s.destroyed);
    target?.write(`${line}\n`);
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
    write(redact(JSON.stringify(record, errorReplacer)));
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

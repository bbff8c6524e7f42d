// Boundary validation for upstream JSON. Transformers read wire objects only through these,
// so a wrong shape becomes one typed MalformedUpstream error naming the path, never a crash.

import { unreadableDispute, type Dispute, type ProviderName } from '../domain/dispute.js';

export class MalformedUpstream extends Error {
  constructor(
    readonly path: string,
    expected: string,
  ) {
    super(`unexpected upstream shape at ${path}: expected ${expected}`);
    this.name = 'MalformedUpstream';
  }
}

export type Obj = Record<string, unknown>;

export function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MalformedUpstream(path, 'object');
  return v as Obj;
}
export function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw new MalformedUpstream(path, 'array');
  return v;
}
export function str(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new MalformedUpstream(path, 'string');
  return v;
}
/**
 * Reads a provider's evidence object by its field tables into the unified (camelCase) fields: text
 * fields as strings, file fields by `file`. The camelCase names are worked out once per table, and a
 * field's path is written only when it is needed for an error: a page of 100 disputes read 2,700
 * fields, each once a regex replace and a path string.
 */
export function readEvidenceFields(
  o: Obj,
  path: string,
  textKeys: readonly string[],
  fileKeys: readonly string[],
  file: (v: unknown, path: string) => unknown,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, name] of camelNames(textKeys)) {
    const v = o[k];
    out[name] = typeof v === 'string' ? v : v === null || v === undefined ? null : str(v, `${path}.${k}`);
  }
  for (const [k, name] of camelNames(fileKeys)) {
    const v = o[k];
    out[name] = v === null || v === undefined ? null : file(v, `${path}.${k}`);
  }
  return out;
}
const camelTables = new WeakMap<readonly string[], [string, string][]>();
function camelNames(keys: readonly string[]): [string, string][] {
  let pairs = camelTables.get(keys);
  if (!pairs) camelTables.set(keys, (pairs = keys.map((k) => [k, k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())])));
  return pairs;
}

export function strOrNull(v: unknown, path: string): string | null {
  return v === null || v === undefined ? null : str(v, path);
}
export function int(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new MalformedUpstream(path, 'integer');
  return v;
}
export function intOrNull(v: unknown, path: string): number | null {
  return v === null || v === undefined ? null : int(v, path);
}
export function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw new MalformedUpstream(path, 'boolean');
  return v;
}
export function boolOrNull(v: unknown, path: string): boolean | null {
  return v === null || v === undefined ? null : bool(v, path);
}
/** Unix seconds -> Date. */
export function unixTime(v: unknown, path: string): Date {
  return new Date(int(v, path) * 1000);
}
/** A string id, or an expanded object carrying one (Stripe's expandable fields). */
export function idOrExpanded(v: unknown, path: string): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  return str(obj(v, path).id, `${path}.id`);
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO-8601 instant with a zone (Flex's `created_at`) -> Date. */
export function isoTime(v: unknown, path: string): Date {
  const s = str(v, path);
  const d = new Date(s);
  if (!ISO_INSTANT.test(s) || Number.isNaN(d.getTime())) throw new MalformedUpstream(path, 'ISO-8601 date-time');
  return d;
}
export function isoTimeOrNull(v: unknown, path: string): Date | null {
  return v === null || v === undefined ? null : isoTime(v, path);
}
/** Epoch seconds carried as a string (Afterpay's timestamps) -> Date. */
export function epochSecondsString(v: unknown, path: string): Date {
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : str(v, path);
  if (!/^\d{1,12}$/.test(s)) throw new MalformedUpstream(path, 'epoch seconds');
  return new Date(Number(s) * 1000);
}
export function epochSecondsStringOrNull(v: unknown, path: string): Date | null {
  return v === null || v === undefined ? null : epochSecondsString(v, path);
}

/**
 * Reads each dispute of a listed page on its own: one that does not have the documented shape
 * does not fail the page. If its id and creation time can be read (`locate`), it becomes an
 * unreadable placeholder that keeps its place (see unreadableDispute); if not even those can, the
 * page cannot be ordered and fails as a whole.
 */
export function readListed(
  raws: unknown[],
  read: (raw: unknown, i: number) => Dispute,
  locate: (raw: unknown) => { id: string; created: Date },
  placeholder: { provider: ProviderName; account: string },
): Dispute[] {
  return raws.map((raw, i) => {
    try {
      return read(raw, i);
    } catch (err) {
      if (!(err instanceof MalformedUpstream)) throw err;
      let where: { id: string; created: Date };
      try {
        where = locate(raw);
        if (Number.isNaN(where.created.getTime())) throw err;
      } catch {
        throw err;
      }
      return unreadableDispute(placeholder.provider, placeholder.account, where.id, where.created, err);
    }
  });
}

/** An instant a provider gives as epoch seconds (number or digit string) or ISO-8601; null when absent. */
export function instantOrNull(v: unknown, path: string): Date | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v))) return new Date(Number(v) * 1000);
  if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) return new Date(v);
  throw new MalformedUpstream(path, 'epoch seconds or an ISO-8601 instant');
}

/** A multipart upload body with the file and the form fields given (a provider's files endpoint). */
export function fileForm(file: { data: Blob; filename: string }, fields: Record<string, string>): { body: FormData } {
  const body = new FormData();
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  body.append('file', file.data, file.filename);
  return { body };
}

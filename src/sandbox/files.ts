// The fakes' file storage, written once: a multipart body read into fields and files, checks of
// size and type as a provider makes them, and the files kept by id so evidence can name them.
import { randomBytes } from 'node:crypto';
import type { FakeRequest } from './fake-server.js';

export interface MultipartPart {
  name: string;
  filename: string | null;
  contentType: string | null;
  data: Buffer;
}

/** Reads a multipart/form-data body (RFC 7578) into its parts; null when it is not one. */
export function parseMultipart(req: Pick<FakeRequest, 'headers' | 'raw'>): MultipartPart[] | null {
  const m = /^multipart\/form-data;.*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(req.headers['content-type'] ?? '');
  if (!m) return null;
  const delimiter = Buffer.from(`--${m[1] ?? m[2]}`);
  const parts: MultipartPart[] = [];
  let at = req.raw.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (req.raw.subarray(start, start + 2).toString() === '--') break;
    const next = req.raw.indexOf(delimiter, start);
    if (next < 0) return null;
    const part = req.raw.subarray(start + 2, next - 2); // after CRLF, before CRLF
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) return null;
    const head = part.subarray(0, split).toString('utf8');
    const disposition = /content-disposition:\s*form-data;([^\r\n]*)/i.exec(head)?.[1] ?? '';
    parts.push({
      name: /\bname="([^"]*)"/.exec(disposition)?.[1] ?? '',
      filename: /\bfilename="([^"]*)"/.exec(disposition)?.[1] ?? null,
      contentType: /content-type:\s*([^\r\n;]+)/i.exec(head)?.[1]?.trim() ?? null,
      data: part.subarray(split + 4),
    });
    at = next;
  }
  return parts;
}

export interface StoredFile {
  id: string;
  filename: string;
  size: number;
  /** pdf, png or jpg, from the bytes. */
  type: 'pdf' | 'png' | 'jpg';
  created: number;
  expiresAt: number;
}

/** The short type the bytes show, as providers name it; null for anything else. */
export function fileTypeOf(data: Buffer): StoredFile['type'] | null {
  if (data.subarray(0, 5).toString('latin1') === '%PDF-') return 'pdf';
  if (data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'jpg';
  return null;
}

/** A provider's files: what it was sent, checked as the provider checks, by id. */
export class FakeFiles {
  readonly files = new Map<string, StoredFile>();

  constructor(
    private readonly idPrefix: string,
    private readonly maxBytes = 5 * 1024 * 1024,
  ) {}

  /** Stores the part named `file`, or says why not (a message for the provider's own error). */
  receive(parts: MultipartPart[] | null): StoredFile | { refused: string } {
    const file = parts?.find((p) => p.name === 'file' && p.filename !== null);
    if (!file) return { refused: 'A file is required (multipart part "file" with a filename).' };
    if (file.data.length > this.maxBytes) return { refused: `The file is larger than ${this.maxBytes} bytes.` };
    const type = fileTypeOf(file.data);
    if (!type) return { refused: 'Only PDF, PNG and JPEG files are accepted.' };
    const created = Math.floor(Date.now() / 1000);
    const stored: StoredFile = {
      id: `${this.idPrefix}${randomBytes(12).toString('hex')}`,
      filename: file.filename!,
      size: file.data.length,
      type,
      created,
      expiresAt: created + 90 * 86_400,
    };
    this.files.set(stored.id, stored);
    return stored;
  }

  has(id: string): boolean {
    return this.files.has(id);
  }
}

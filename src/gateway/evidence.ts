// updateDisputeEvidence and submitDisputeEvidence: stage or submit evidence at the dispute's
// provider, at most once per idempotency key. Everything the gateway can tell in advance is a user
// error with nothing sent: a field the provider does not take, staging where it cannot stage, a
// dispute past responding, a second submission where only one is allowed, text over the limit.
import { createHash } from 'node:crypto';
import {
  characterCount,
  EVIDENCE_FIELDS,
  EVIDENCE_TEXT_FIELDS,
  isFileField,
  RESPONDABLE,
  type Dispute,
  type EnhancedEvidenceUpdate,
  type EvidenceChange,
  type EvidenceField,
  type EvidenceUpdate,
  type FileRef,
} from '../domain/dispute.js';
import { enhancedInputErrors, enhancedStateErrors, fieldLengthErrors, mergeEnhanced, metadataErrors, metadataStateErrors } from './evidence-checks.js';
import { isProviderRefusal } from '../domain/errors.js';
import { accountKey, isProviderId, refKey, type DisputeRef } from '../domain/ids.js';
import { newIdempotencyKey, providerDisplayName } from '../providers/http.js';
import type { Clients } from '../providers/registry.js';
import type { DisputeProviderClient, EvidenceRules } from '../providers/types.js';
import type { CloseResult } from './close.js';
import type { Loaders } from './loaders.js';
import type { UploadBudget } from './upload-budget.js';
import type { OwnChanges } from '../domain/event.js';
import { keyedInput, oncePerKey, requireStore, type KeyedResult, type OnceServices, type UserError } from './once.js';

export interface EvidenceServices extends OnceServices<CloseResult> {
  clients: Clients;
  loaders: Loaders;
  uploadBudget: UploadBudget;
  /** Told of every submission carried out, to publish it as an event at once. */
  events?: OwnChanges;
}

export interface EvidenceInput {
  id: string;
  /** As GraphQL gives it: absent fields are absent, an explicit null clears; `enhancedEvidence` beside the fields. */
  evidence: Record<string, unknown>;
  submit: boolean;
  idempotencyKey?: string | null;
  /** Check everything, send nothing. */
  validateOnly?: boolean | null;
  /** GraphQL's JSON: checked to be an object of strings (null removes a key). */
  metadata?: unknown;
}

/** An evidence mutation's answer; with validateOnly, `preview` is the dispute as it would be with the update applied. */
export interface EvidenceResult extends CloseResult {
  preview?: Dispute;
}

const failed = (errors: UserError[]): CloseResult => ({ dispute: null, userErrors: errors });
const one = (code: string, message: string, field: string[] | null = ['input', 'id']) => failed([{ code, message, field }]);

export function submitDisputeEvidence(s: EvidenceServices, input: { id: string; idempotencyKey?: string | null }): Promise<CloseResult> {
  return updateDisputeEvidence(s, { id: input.id, evidence: {}, submit: true, idempotencyKey: input.idempotencyKey });
}

export async function updateDisputeEvidence(s: EvidenceServices, input: EvidenceInput): Promise<EvidenceResult> {
  const read = keyedInput(input);
  if ('code' in read) return failed([read]);
  const { ref, key } = read;
  const client = s.clients.get(accountKey(ref.provider, ref.account));
  if (!client) return one('NOT_FOUND', 'No dispute exists with this id.');
  const rules = client.capabilities.evidence;
  if (!client.updateEvidence || !rules)
    return one('NOT_SUPPORTED', `${providerDisplayName(ref.provider)} does not take evidence through the gateway; nothing was sent.`);
  const { enhancedEvidence, ...fields } = input.evidence;
  const evidence = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as EvidenceUpdate;
  const change: EvidenceChange = {
    evidence,
    ...(enhancedEvidence !== undefined && enhancedEvidence !== null && { enhancedEvidence: withoutNulls(enhancedEvidence) as EnhancedEvidenceUpdate }),
    ...(input.metadata !== undefined && input.metadata !== null && { metadata: input.metadata as Record<string, string | null> }),
  };
  const refused = checkInput(client, rules, change, input.submit);
  if (refused) return refused;

  const send = { ...change, submit: input.submit };
  if (input.validateOnly) return validate(s, client, ref, send);
  if (key === undefined) {
    requireStore(s.idempotency);
    return attempt(s, client, ref, send, newIdempotencyKey());
  }
  return oncePerKey(s, {
    operation: 'evidence',
    key,
    fingerprint: `${refKey(ref)}:${digest(send)}`,
    reused: () => one('IDEMPOTENCY_KEY_REUSED', 'This idempotency key was already used for other evidence or another dispute.', ['input', 'idempotencyKey']),
    recover: (upstreamKey, previous) => recover(s, ref, send, typeof previous.note === 'number' ? previous.note : null),
    attempt: (upstreamKey, claim) => attempt(s, client, ref, send, upstreamKey, claim),
  });
}

/** GraphQL gives absent input fields as absent, explicit ones as null: enhanced evidence keeps only what was given a value. */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== null && x !== undefined)
      .map(([k, x]) => [k, withoutNulls(x)]),
  );
}

/** validateOnly: every check the update would meet, the dispute read but nothing sent; the preview is the dispute as it would be. */
async function validate(s: EvidenceServices, client: DisputeProviderClient, ref: DisputeRef, send: Send): Promise<EvidenceResult> {
  const current = await s.loaders.dispute.load(ref);
  if (!current) return one('NOT_FOUND', 'No dispute exists with this id.');
  const refused = checkState(client.capabilities.evidence!, current, send);
  if (refused) return refused;
  return { dispute: current, userErrors: [], preview: applied(current, send) };
}

/** The dispute with an update applied, as the gateway can tell it without the provider (files by id, names unknown). */
function applied(d: Dispute, send: Send): Dispute {
  const evidence: Record<string, unknown> = { ...d.evidence };
  for (const [field, value] of Object.entries(send.evidence) as [EvidenceField, string | null][])
    evidence[field] = value === null ? null : isFileField(field) ? { id: value, filename: null } : value;
  evidence.enhancedEvidence = mergeEnhanced(d.evidence.enhancedEvidence, send.enhancedEvidence);
  const metadata = Object.fromEntries(Object.entries({ ...d.metadata, ...send.metadata }).filter(([, v]) => v !== null && v !== undefined));
  return { ...d, evidence: evidence as unknown as Dispute['evidence'], metadata };
}

type Send = EvidenceChange & { submit: boolean };

/** What the input alone shows to be refused: nothing is read or sent. */
function checkInput(client: DisputeProviderClient, rules: EvidenceRules, change: EvidenceChange, submit: boolean): CloseResult | null {
  const name = providerDisplayName(client.name);
  const { evidence } = change;
  const errors: UserError[] = [];
  for (const [field, value] of Object.entries(evidence) as [EvidenceField, string | null][]) {
    const at = ['input', 'evidence', field];
    if (!rules.fields.includes(field))
      errors.push({ code: 'EVIDENCE_FIELD_UNSUPPORTED', message: `${name} does not take the evidence field ${field}.`, field: at });
    else if (value === null && !rules.clearing)
      errors.push({ code: 'BAD_USER_INPUT', message: `${name} cannot clear an evidence field; leave ${field} out instead.`, field: at });
    else if (value !== null && isFileField(field) && !isProviderId(value))
      errors.push({ code: 'BAD_USER_INPUT', message: `${field} takes a file id from uploadDisputeEvidenceFile.`, field: at });
  }
  errors.push(
    ...fieldLengthErrors(rules, evidence, name),
    ...enhancedInputErrors(rules, change.enhancedEvidence, name),
    // As GraphQL's JSON gave it: checked here to be an object of strings.
    ...metadataErrors(rules, change.metadata, name),
  );
  if (!submit && !rules.staging) {
    errors.push({
      code: 'EVIDENCE_STAGING_UNSUPPORTED',
      message: `${name} cannot stage evidence: send it with submit: true, all at once.`,
      field: ['input', 'submit'],
    });
  }
  if (errors.length > 0) return failed(errors);
  const carriesMore = change.enhancedEvidence !== undefined || change.metadata !== undefined;
  if (Object.keys(evidence).length === 0 && !carriesMore) {
    // Staging nothing changes nothing; a provider without staging takes the evidence with the submission.
    if (!submit) return one('BAD_USER_INPUT', 'Give at least one evidence field (or enhanced evidence, or metadata) to stage.', ['input', 'evidence']);
    if (!rules.staging)
      return one('BAD_USER_INPUT', `${name} takes the evidence in the submission itself: use updateDisputeEvidence with submit: true.`, ['input', 'evidence']);
  }
  return null;
}

/** What the dispute's current state refuses: read first, nothing sent. */
function checkState(rules: EvidenceRules, d: Dispute, change: EvidenceChange, now = Date.now()): CloseResult | null {
  const name = providerDisplayName(d.provider);
  const { evidence } = change;
  const reviewing = d.status === 'UNDER_REVIEW' || d.status === 'WARNING_UNDER_REVIEW';
  if (d.evidenceDetails.submissionCount > 0 && !rules.resubmission && (reviewing || RESPONDABLE.includes(d.status))) {
    return one('EVIDENCE_ALREADY_SUBMITTED', `Evidence for this dispute was already submitted, and ${name} takes it once; nothing was sent.`);
  }
  if (!RESPONDABLE.includes(d.status)) {
    return one('DISPUTE_NOT_RESPONDABLE', `A dispute in status ${d.status} (${name}: ${d.providerStatus}) takes no evidence; nothing was sent.`);
  }
  if (d.evidenceDetails.dueBy && d.evidenceDetails.dueBy.getTime() < now) {
    return one('DISPUTE_NOT_RESPONDABLE', `The deadline for evidence passed at ${d.evidenceDetails.dueBy.toISOString()}; nothing was sent.`);
  }
  const refused = [...enhancedStateErrors(d, change.enhancedEvidence), ...metadataStateErrors(rules, d, change.metadata, name)];
  if (refused.length > 0) return failed(refused);
  if (rules.maxTextCharacters !== null) {
    // The evidence as it will stand: what is staged, with this update over it.
    const merged = { ...(d.evidence as unknown as Record<string, unknown>), ...evidence };
    // Characters are Unicode code points, as providers count them (characterCount).
    const total = EVIDENCE_TEXT_FIELDS.reduce((n, f) => n + (typeof merged[f] === 'string' ? characterCount(merged[f] as string) : 0), 0);
    if (total > rules.maxTextCharacters) {
      const longest = EVIDENCE_TEXT_FIELDS.filter((f) => typeof evidence[f] === 'string').sort(
        (a, b) => characterCount(evidence[b]!) - characterCount(evidence[a]!),
      )[0];
      return one(
        'EVIDENCE_TOO_LONG',
        `The evidence would hold ${total} characters (Unicode code points) of text; ${name} takes ${rules.maxTextCharacters} in all.`,
        longest ? ['input', 'evidence', longest] : ['input', 'evidence'],
      );
    }
  }
  return null;
}

async function attempt(
  s: EvidenceServices,
  client: DisputeProviderClient,
  ref: DisputeRef,
  send: Send,
  upstreamKey: string,
  claim: (note?: number) => Promise<void> = async () => {},
): Promise<CloseResult> {
  const current = await s.loaders.dispute.load(ref);
  if (!current) return one('NOT_FOUND', 'No dispute exists with this id.');
  const refused = checkState(client.capabilities.evidence!, current, send);
  if (refused) return refused;
  let updated: Dispute;
  try {
    // The count before: a recovery compares it with the count read back.
    await claim(current.evidenceDetails.submissionCount);
    updated = await client.updateEvidence!(ref.providerDisputeId, { ...send, idempotencyKey: upstreamKey });
  } catch (err) {
    const known = providerRefusal(err, send.evidence);
    if (known) return known;
    throw err;
  }
  s.loaders.prime([updated]);
  if (send.submit) await s.events?.own('EVIDENCE_SUBMITTED', updated, upstreamKey);
  return { dispute: updated, userErrors: [] };
}

/**
 * An earlier attempt with this key has no recorded answer. A submission is read back: a count
 * higher than the one noted before sending means it went through (its answer was lost), and the
 * dispute as it is now is the answer. Staging is sent again (the same fields, harmless).
 */
async function recover(s: EvidenceServices, ref: DisputeRef, send: { submit: boolean }, countBefore: number | null): Promise<CloseResult | null> {
  if (!send.submit || countBefore === null) return null;
  s.loaders.dispute.clear(ref);
  const now = await s.loaders.dispute.load(ref);
  if (!now) return one('NOT_FOUND', 'No dispute exists with this id.');
  return now.evidenceDetails.submissionCount > countBefore ? { dispute: now, userErrors: [] } : null;
}

/** A provider's refusal that means something the caller can fix, as a user error. */
function providerRefusal(err: unknown, evidence: EvidenceUpdate): CloseResult | null {
  if (!isProviderRefusal(err)) return null;
  const name = providerDisplayName(err.provider);
  if (err.providerCode === 'dispute_evidence_page_limit_exceeded') {
    return one('EVIDENCE_TOO_LONG', `${name} refused the evidence as too long (dispute_evidence_page_limit_exceeded); nothing was submitted.`, [
      'input',
      'evidence',
    ]);
  }
  const files = EVIDENCE_FIELDS.filter((f) => isFileField(f) && typeof evidence[f] === 'string');
  if (files.length > 0 && (err.providerCode === 'resource_missing' || err.providerCode === 'file_not_found')) {
    return one('FILE_NOT_FOUND', `${name} does not know a file given (${files.join(', ')}) at this account; nothing was submitted.`, [
      'input',
      'evidence',
      files[0]!,
    ]);
  }
  return null;
}

const sorted = (o: object | undefined) => Object.entries(o ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
const digest = (send: Send) =>
  createHash('sha256')
    .update(JSON.stringify([send.submit, sorted(send.evidence), send.enhancedEvidence ?? null, sorted(send.metadata)]))
    .digest('hex')
    .slice(0, 32);

export interface UploadResult extends KeyedResult {
  file: FileRef | null;
}

/** The file as the multipart parser gives it (a web File). */
export interface UploadedFile {
  name: string;
  type: string;
  size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** What the first bytes say a file is; null when none of the types the providers take. */
export function sniffContentType(head: Uint8Array): string | null {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0x25, 0x50, 0x44, 0x46, 0x2d)) return 'application/pdf';
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (starts(0x47, 0x49, 0x46, 0x38) && (head[4] === 0x37 || head[4] === 0x39) && head[5] === 0x61) return 'image/gif';
  return null;
}

/**
 * A PDF's page count, read cheaply from its page objects (`/Type /Page`, not `/Pages`); null when
 * they cannot be seen that way (compressed object streams): then the provider decides.
 */
export function pdfPageCount(bytes: Uint8Array): number | null {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const n = text.match(/\/Type\s*\/Page(?![a-zA-Z])/g)?.length ?? 0;
  return n > 0 ? n : null;
}

/** The most pages a dispute's evidence may hold at its provider: the network's where it differs (Mastercard's 19 at Stripe). */
function pageLimit(rules: EvidenceRules, d: Dispute): number | null {
  const totals = rules.fileTotals;
  if (!totals) return null;
  const mastercard = d.paymentMethodDetails?.card?.brand === 'mastercard' || d.paymentMethodDetails?.card?.network === 'mastercard';
  return mastercard && totals.maxPagesMastercard !== null ? totals.maxPagesMastercard : totals.maxPages;
}

const failedUpload = (code: string, message: string, field: string[] = ['input', 'file']): UploadResult => ({
  file: null,
  userErrors: [{ code, message, field }],
});

/** The file against the provider's size and type rules (the bytes decide the type, not the name); ready to send, or refused. */
async function checkedFile(file: UploadedFile, rules: EvidenceRules, name: string) {
  if (rules.maxFileBytes !== null && file.size > rules.maxFileBytes) {
    return failedUpload('FILE_TOO_LARGE', `The file is ${file.size} bytes; ${name} takes files up to ${rules.maxFileBytes} bytes. Nothing was sent.`);
  }
  // The parser holds the file already (up to the upload limit): its bytes are read once, here.
  const bytes = new Uint8Array(await file.arrayBuffer());
  const contentType = sniffContentType(bytes);
  if (!contentType || !rules.fileContentTypes.includes(contentType)) {
    return failedUpload(
      'FILE_TYPE_UNSUPPORTED',
      `${name} takes ${rules.fileContentTypes.join(', ')}; this file is ${contentType ?? 'none of them'}. Nothing was sent.`,
    );
  }
  // As a plain Blob the upstream multipart body can carry.
  const upload = { filename: safeFilename(file.name, contentType), contentType, size: file.size, data: new Blob([bytes], { type: contentType }) };
  return { bytes, upload };
}

export async function uploadDisputeEvidenceFile(
  s: EvidenceServices,
  input: { disputeId: string; file: UploadedFile; idempotencyKey?: string | null },
): Promise<UploadResult> {
  const fail = failedUpload;
  const read = keyedInput({ id: input.disputeId, idempotencyKey: input.idempotencyKey });
  if ('code' in read) return { file: null, userErrors: [{ ...read, field: read.field?.[1] === 'id' ? ['input', 'disputeId'] : read.field }] };
  const { ref, key } = read;
  const client = s.clients.get(accountKey(ref.provider, ref.account));
  if (!client) return fail('NOT_FOUND', 'No dispute exists with this id.', ['input', 'disputeId']);
  const rules = client.capabilities.evidence;
  const name = providerDisplayName(ref.provider);
  if (!client.uploadFile || !rules)
    return fail('NOT_SUPPORTED', `${name} takes no file uploads through the gateway; nothing was sent.`, ['input', 'disputeId']);
  const { file } = input;
  const checked = await checkedFile(file, rules, name);
  if ('userErrors' in checked) return checked;
  const { bytes, upload } = checked;
  const run = async (upstreamKey: string, claim: () => Promise<void> = async () => {}): Promise<UploadResult> => {
    const dispute = await s.loaders.dispute.load(ref);
    if (!dispute) return fail('NOT_FOUND', 'No dispute exists with this id.', ['input', 'disputeId']);
    // One file over the whole evidence's page limit can never be sent; the total over files is the provider's to refuse.
    const pages = upload.contentType === 'application/pdf' ? pdfPageCount(bytes) : null;
    const limit = pageLimit(rules, dispute);
    if (pages !== null && limit !== null && pages > limit)
      return fail('FILE_TOO_LARGE', `The PDF has ${pages} pages; ${name} takes at most ${limit} pages of evidence for this dispute. Nothing was sent.`);
    if (!(await s.uploadBudget.spend(s.caller.name, file.size))) {
      return fail('RATE_LIMITED', `The key "${s.caller.name}" has used its hour's budget of evidence uploads; try again later. Nothing was sent.`);
    }
    await claim();
    return { file: await client.uploadFile!(upload, { idempotencyKey: upstreamKey }), userErrors: [] };
  };
  if (key === undefined) {
    requireStore(s.idempotency);
    return run(newIdempotencyKey());
  }
  const digestOfFile = createHash('sha256').update(bytes).digest('hex');
  // One store holds every keyed operation's records, apart by operation name.
  return oncePerKey(
    {
      ...s,
      idempotency: s.idempotency as unknown as OnceServices<UploadResult>['idempotency'],
      inflight: s.inflight as unknown as OnceServices<UploadResult>['inflight'],
    },
    {
      operation: 'upload',
      key,
      fingerprint: `${accountKey(ref.provider, ref.account)}:${digestOfFile}`,
      reused: () => fail('IDEMPOTENCY_KEY_REUSED', 'This idempotency key was already used for another file.', ['input', 'idempotencyKey']),
      // An upload whose answer was lost cannot be found again by key: it is sent again (a second copy of a file moves nothing).
      recover: async () => null,
      attempt: (upstreamKey, claim) => run(upstreamKey, () => claim()),
    },
  );
}

/** A file name a provider will take: printable, no path, at most 100 characters, with the type's extension. */
function safeFilename(name: string, contentType: string): string {
  const ext = contentType === 'application/pdf' ? 'pdf' : contentType === 'image/png' ? 'png' : 'jpg';
  const base =
    (name.split(/[\\/]/).pop() ?? '')
      .replace(/[^\w.\- ]/g, '_')
      .replace(/\.[^.]*$/, '')
      .slice(0, 90) || 'evidence';
  return `${base}.${ext}`;
}

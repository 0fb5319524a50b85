import type { IncomingHttpHeaders } from 'node:http';
import Busboy from 'busboy';
import { parse as parseQuery } from 'qs';
import type { JsonObject, JsonValue } from '../../core/json';
import { UserError } from '../../errors';

/** What a hook's request body became: the fields or document (`attributes.data`), and more attributes (`files`). */
export interface ParsedBody {
  data: JsonValue;
  extra?: { files: FileMeta[] };
}

/** A file of a multipart form: kept as metadata only, its bytes are counted and dropped. */
export interface FileMeta {
  [key: string]: JsonValue;
  field: string;
  filename: string;
  type: string;
  size: number;
}

export type BodyKind = 'json' | 'urlencoded' | 'multipart';

/** Field names nest (`customer[custom][country]=CO`) up to this depth, as a form post of a record would. */
const QS_OPTIONS = { depth: 10, parameterLimit: 1000, arrayLimit: 100, allowPrototypes: false } as const;
const MULTIPART_LIMITS = { fields: 1000, files: 20, parts: 1020, fieldNameSize: 200 } as const;

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

const KIND_OF: Record<string, BodyKind> = {
  'application/json': 'json',
  'application/x-www-form-urlencoded': 'urlencoded',
  'multipart/form-data': 'multipart',
};

/**
 * The kind of a body by its Content-Type, among those `accepted`; anything else is refused with 415. Types
 * ending in `+json` (`application/ld+json`) are JSON.
 */
export function bodyKind(contentType: string | undefined, accepted: readonly BodyKind[]): BodyKind {
  const type = mediaType(contentType);
  const kind = KIND_OF[type] ?? (/^application\/[\w.-]+\+json$/.test(type) ? 'json' : undefined);
  if (kind && accepted.includes(kind)) return kind;
  const names = accepted.map((k) => Object.keys(KIND_OF).find((t) => KIND_OF[t] === k)).join(', ');
  throw new UserError(415, 'unsupported_media_type', `send the body as one of: ${names}`, [
    { path: 'headers.Content-Type', message: `got ${JSON.stringify(contentType ?? '')}` },
  ]);
}

/**
 * The body as text: UTF-8 only (a charset parameter naming anything else is refused with 415, as the JSON
 * routes do), and bytes that are not UTF-8 are a 400, never replaced silently: a signature covers them.
 */
export function bodyText(raw: Buffer, contentType: string | undefined): string {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8' && charset !== 'us-ascii') {
    throw new UserError(415, 'unsupported_charset', `charset ${JSON.stringify(charset)} is not supported: send UTF-8`, [
      { path: 'headers.Content-Type', message: `got ${JSON.stringify(contentType)}` },
    ]);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new UserError(400, 'invalid_body', 'the body is not valid UTF-8');
  }
}

export function parseJsonText(text: string): JsonValue {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new UserError(400, 'invalid_json', 'the body is not valid JSON', [
      { path: '$', message: error instanceof Error ? error.message : String(error) },
    ]);
  }
}

/** `a=1&a=2&customer[name]=Ada` -> `{a: ['1', '2'], customer: {name: 'Ada'}}` (qs; prototype keys dropped). */
export function parseUrlEncoded(text: string): JsonObject {
  return parseQuery(text, QS_OPTIONS) as JsonObject;
}

/**
 * A multipart form (busboy, from the bytes already read within the body limit): fields nest as in
 * `parseUrlEncoded`; files become `{field, filename, type, size}`.
 */
export function parseMultipart(raw: Buffer, headers: IncomingHttpHeaders): Promise<ParsedBody> {
  return new Promise((resolve, reject) => {
    const invalid = (message: string) =>
      new UserError(400, 'invalid_body', `the multipart body is not valid: ${message}`);
    let busboy: Busboy.Busboy;
    try {
      busboy = Busboy({ headers, limits: MULTIPART_LIMITS });
    } catch (error) {
      reject(invalid(error instanceof Error ? error.message : String(error)));
      return;
    }
    const fields = new URLSearchParams();
    const files: FileMeta[] = [];
    busboy.on('field', (name, value) => fields.append(name, value));
    busboy.on('file', (field, stream, info) => {
      const file: FileMeta = { field, filename: info.filename ?? '', type: info.mimeType, size: 0 };
      files.push(file);
      stream.on('data', (chunk: Buffer) => (file.size += chunk.length));
    });
    busboy.on('partsLimit', () => reject(invalid(`more than ${MULTIPART_LIMITS.parts} parts`)));
    busboy.on('filesLimit', () => reject(invalid(`more than ${MULTIPART_LIMITS.files} files`)));
    busboy.on('fieldsLimit', () => reject(invalid(`more than ${MULTIPART_LIMITS.fields} fields`)));
    busboy.on('error', (error: unknown) => reject(invalid(error instanceof Error ? error.message : String(error))));
    busboy.on('close', () => resolve({ data: parseUrlEncoded(fields.toString()), extra: { files } }));
    busboy.end(raw);
  });
}

/** Parses a hook's body of `kind` (see bodyKind); multipart bodies are bytes (files), the others UTF-8 text. */
export async function parseBody(kind: BodyKind, raw: Buffer, headers: IncomingHttpHeaders): Promise<ParsedBody> {
  if (kind === 'multipart') return parseMultipart(raw, headers);
  const text = bodyText(raw, headers['content-type']);
  return { data: kind === 'json' ? parseJsonText(text) : parseUrlEncoded(text) };
}

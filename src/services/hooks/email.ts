import { Parser } from 'htmlparser2';
import { z } from 'zod';
import type { JsonObject, JsonValue } from '../../core/json';

const Address = z.string().trim().min(1).max(998);
const Addresses = z.union([Address, z.array(Address).min(1).max(100)]);

/**
 * An inbound email as a mail gateway posts it to `POST /v1/hooks/email/:id`: the parsed message, with
 * attachments as metadata only (their content is not taken).
 */
export const InboundEmailSchema = z.strictObject({
  from: Address,
  to: Addresses,
  cc: Addresses.optional(),
  replyTo: Address.optional(),
  subject: z.string().max(998).default(''),
  messageId: z.string().max(998).optional(),
  date: z.string().max(200).optional(),
  text: z.string().optional(),
  html: z.string().optional(),
  headers: z.record(z.string().min(1).max(200), z.union([z.string(), z.array(z.string()).max(100)])).optional(),
  attachments: z
    .array(
      z.strictObject({
        filename: z.string().max(1000).optional(),
        contentType: z.string().max(200).optional(),
        size: z.number().int().min(0).optional(),
        contentId: z.string().max(998).optional(),
      }),
    )
    .max(100)
    .default([]),
});
export type InboundEmail = z.infer<typeof InboundEmailSchema>;

/** The script types whose content is data: JSON-LD (schema.org markup in emails) and plain JSON. */
const DATA_SCRIPT_TYPES = new Set(['application/ld+json', 'application/json']);
/** Blocks taken from one email, in document order. */
export const MAX_EMBEDDED_BLOCKS = 20;

/**
 * The JSON embedded in an email's HTML: every `<script type="application/ld+json">` or
 * `type="application/json"` block (htmlparser2, which reads script content as raw text, as browsers do),
 * parsed, in document order. Blocks that are not valid JSON are reported in `invalid` with their index.
 */
export function embeddedJson(html: string): { blocks: JsonValue[]; invalid: { index: number; message: string }[] } {
  const blocks: JsonValue[] = [];
  const invalid: { index: number; message: string }[] = [];
  let index = 0;
  let text: string | undefined;
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        const type = (attributes.type ?? '').split(';')[0]!.trim().toLowerCase();
        if (name === 'script' && DATA_SCRIPT_TYPES.has(type)) text = '';
      },
      ontext(chunk) {
        if (text !== undefined) text += chunk;
      },
      onclosetag(name) {
        if (name !== 'script' || text === undefined) return;
        const source = text;
        text = undefined;
        if (blocks.length >= MAX_EMBEDDED_BLOCKS) return;
        try {
          blocks.push(JSON.parse(source) as JsonValue);
        } catch (error) {
          invalid.push({ index, message: error instanceof Error ? error.message : String(error) });
        }
        index++;
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  return { blocks, invalid };
}

/**
 * What an email hook's event carries: the first embedded block as `attributes.data` (`{}` when there is none),
 * every block as `attributes.embedded`, the email itself as `attributes.email`.
 */
export function emailContent(email: InboundEmail): { data: JsonValue; extra: JsonObject } {
  const { blocks, invalid } = embeddedJson(email.html ?? '');
  return {
    data: blocks[0] ?? {},
    extra: {
      email: email as JsonObject,
      embedded: blocks,
      ...(invalid.length > 0 ? { embeddedInvalid: invalid } : {}),
    },
  };
}

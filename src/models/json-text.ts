import type { JsonObject, JsonValue } from '../core/json';

/**
 * User-supplied JSON (definitions, event data, custom attributes, step outputs) is stored as text.
 * FerretDB rejects nested arrays and keys containing "." or starting with "$", and MongoDB restricts
 * "$" keys too; as text, any valid JSON round-trips exactly on both databases. Nothing queries inside
 * these values, so nothing is lost by not storing them as documents.
 */
function fromJsonText(text: string | null | undefined): JsonValue | undefined {
  return text === undefined || text === null ? undefined : (JSON.parse(text) as JsonValue);
}

export function objectFromJsonText(text: string | null | undefined): JsonObject {
  const value = fromJsonText(text);
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

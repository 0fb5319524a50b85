import { z } from 'zod';

/**
 * Param types that cast resolved values the way workflow authors expect: a template renders `"42"`,
 * the action wants a number, so it gets `42` (docs/workflow-format.md, section 7). Casting is explicit and
 * narrow: only unambiguous spellings convert; anything else fails validation with a clear message.
 */

function toNumber(value: unknown): unknown {
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : value;
  }
  return value;
}

function toText(value: unknown): unknown {
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}

/** A string list also accepts one string: a JSON array text (`'["a","b"]'`) or a single item. */
function toList(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return value;
    }
  }
  return trimmed === '' ? [] : [value];
}

/** A boolean also accepts the strings a template renders: `"true"` and `"false"`. */
export const castBool = () => z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
export const castInt = () => z.preprocess(toNumber, z.number().int());
export const castString = () => z.preprocess(toText, z.string());
/** `itemMax` bounds each string, `countMax` the list. */
export const castStringList = (itemMax: number, countMax: number) =>
  z.preprocess(toList, z.array(z.preprocess(toText, z.string().max(itemMax))).max(countMax));

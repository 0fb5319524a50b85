import type Dayjs from 'dayjs';
import type AdvancedFormat from 'dayjs/plugin/advancedFormat';
import type LocalizedFormat from 'dayjs/plugin/localizedFormat';
import type Utc from 'dayjs/plugin/utc';
import type { isValidPhoneNumber as IsValidPhoneNumber } from 'libphonenumber-js/min';
import { evaluationRoot, type EvalContext } from './context';
import type { JsonValue } from './json';
import { once } from './once';
import { getPath, parsePath } from './paths';

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, see once.ts */
const dayjs = once(() => {
  const lib = require('dayjs') as typeof Dayjs;
  lib.extend(require('dayjs/plugin/utc') as typeof Utc);
  lib.extend(require('dayjs/plugin/advancedFormat') as typeof AdvancedFormat);
  lib.extend(require('dayjs/plugin/localizedFormat') as typeof LocalizedFormat);
  return lib;
});
const isValidPhoneNumber = once(
  () => (require('libphonenumber-js/min') as { isValidPhoneNumber: typeof IsValidPhoneNumber }).isValidPhoneNumber,
);
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * `/#fn:<name>,<path>,<arg1>,...` calls (docs/workflow-format.md, section 7), plus the number and date
 * coercions that templates and conditions share with them, so "numeric string" and "date" mean the
 * same thing everywhere.
 */

/** Every function name `/#fn:` accepts; save-time checks reject any other name. */
export const FUNCTION_NAMES: readonly string[] = [
  'parseInt',
  'parseFloat',
  'dateFormat',
  'ifExists',
  'isValidEmailAddress',
  'isValidPhoneNumber',
];

/** A `/#fn:` expression split into its parts; `args` keeps dateFormat's format whole (it may hold commas). */
export interface FunctionCall {
  name: string;
  path: string;
  args: string[];
}

/**
 * Splits the text after `/#fn:`. The path may be written bare (`steps.1.x`, as documented) or, by
 * habit, with a leading `/#`; both mean the same. Never throws; a missing path is `''`.
 */
export function parseFunctionCall(expression: string): FunctionCall {
  const parts = expression.split(',');
  const name = (parts[0] ?? '').trim();
  let path = (parts[1] ?? '').trim();
  if (path.startsWith('/#')) path = path.slice(2);
  const rest = parts.slice(2);
  // The format is the rest of the string: 'MMM D, YYYY' must survive the comma split.
  const args = name === 'dateFormat' ? (rest.length > 0 ? [rest.join(',')] : []) : rest;
  return { name, path, args };
}

/**
 * Evaluates a `/#fn:` expression (the text after `/#fn:`) against the context.
 * Returns `undefined` (= missing, the param is left out) for an unknown function name, as the product
 * silently does, and whenever the function has no meaningful result (e.g. `parseInt` of `"abc"`).
 * The boolean validators return `false` on missing input rather than `undefined`. Never throws.
 */
export function callFunction(expression: string, ctx: EvalContext): JsonValue | undefined {
  const { name, path, args } = parseFunctionCall(expression);
  const value = path === '' ? undefined : getPath(evaluationRoot(ctx), parsePath(path));
  switch (name) {
    case 'parseInt':
      return parseInteger(value);
    case 'parseFloat':
      return parseDecimal(value);
    case 'dateFormat':
      return formatDate(value, args[0]);
    case 'ifExists':
      return value !== undefined && value !== null ? value : args[0];
    case 'isValidEmailAddress':
      return typeof value === 'string' && looksLikeEmail(value);
    case 'isValidPhoneNumber':
      // Without a default country libphonenumber only accepts international (+...) numbers.
      return typeof value === 'string' && isValidPhoneNumber()(value);
    default:
      return undefined;
  }
}

const LINE_BREAK = /[\n\r\u2028\u2029]/;

/**
 * The product's test `/.+@.+/` (an "@" with a character before and after it on the same line),
 * without its backtracking: the regex takes time quadratic in the length of a line without "@"
 * (4.5 s for 50,000 characters).
 */
export function looksLikeEmail(value: string): boolean {
  return value.split(LINE_BREAK).some((line) => line.length >= 3 && line.slice(1, -1).includes('@'));
}

function parseInteger(value: JsonValue | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const n = Number.parseInt(value, 10);
  return Number.isNaN(n) ? undefined : n;
}

function parseDecimal(value: JsonValue | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const n = Number.parseFloat(value);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * A number from a number or a numeric string (`"42"`, `" 4.5 "`, `"-1e3"`); anything else,
 * including `""`, booleans and non-finite results, is `undefined`.
 */
export function toFiniteNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

const ISO_DATE = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * Epoch ms of an ISO-8601 date string (`2024-05-01`, `2024-05-01T10:00:00Z`, `...+02:00`), or
 * `undefined` for anything else. A date-time without an offset is read as UTC: the host's time zone
 * must never change a result (determinism across API hosts and workers).
 */
export function parseIsoDate(text: string): number | undefined {
  const match = ISO_DATE.exec(text.trim());
  if (match === null) return undefined;
  const [, day, time, zone] = match;
  let normalized = day ?? '';
  if (time !== undefined) {
    let offset = (zone ?? 'Z').toUpperCase();
    if (/^[+-]\d{2}$/.test(offset)) offset += ':00';
    else if (/^[+-]\d{4}$/.test(offset)) offset = `${offset.slice(0, 3)}:${offset.slice(3)}`;
    normalized += `T${time}${offset}`;
  }
  const ms = Date.parse(normalized);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Whether `ms` is a time a JavaScript Date can hold (within 8.64e15 ms of 1970, about 273,790 years). */
export function isDateMs(ms: number): boolean {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15;
}

/**
 * Epoch ms of a date value: a number is already epoch ms (if a Date can hold it, see `isDateMs`), a
 * string must be ISO-8601.
 */
export function toEpochMs(value: unknown): number | undefined {
  if (typeof value === 'number') return isDateMs(value) ? value : undefined;
  return typeof value === 'string' ? parseIsoDate(value) : undefined;
}

/**
 * Formats a date value (epoch ms or ISO string) with moment-style tokens (dayjs with the
 * advancedFormat and localizedFormat plugins, English), always in UTC. Without a format (or with an
 * empty one) the result is the ISO string `2024-05-01T10:00:00.000Z`. `undefined` if not a date, and
 * if the format uses a token whose dayjs plugin is not loaded (week numbers `w` `W`, week years
 * `gggg` `GGGG`, zone names `z` `zzz`: dayjs throws a TypeError for those). Never throws.
 */
export function formatDate(value: unknown, format?: string): string | undefined {
  const ms = toEpochMs(value);
  if (ms === undefined) return undefined;
  const date = dayjs().utc(ms);
  if (format === undefined || format === '') return date.toISOString();
  // dayjs looks for the "]" of every "[" (escaped text) up to the end of the format: time quadratic in
  // the "["s after the last "]" (4 s for 50,000). They are plain text, and no token spans a "[" or
  // "]", so the tail is formatted piece by piece; the result is the same string.
  const close = format.lastIndexOf(']');
  const tail = format.slice(close + 1);
  try {
    if (!tail.includes('[')) return date.format(format);
    const piece = (part: string): string => (part === '' ? '' : date.format(part));
    return piece(format.slice(0, close + 1)) + tail.split('[').map(piece).join('[');
  } catch {
    return undefined;
  }
}

/** Units accepted by the `date`/`dateDiff` helpers, singular or plural (`'hour'`, `'hours'`). */
const UNITS = ['millisecond', 'second', 'minute', 'hour', 'day', 'week', 'month', 'year'] as const;
export type DateUnit = (typeof UNITS)[number];

/** The unit named by `text` (case-insensitive, optional plural `s`), or `undefined`. */
export function toDateUnit(text: unknown): DateUnit | undefined {
  if (typeof text !== 'string') return undefined;
  const singular = text.trim().toLowerCase().replace(/s$/, '');
  return UNITS.find((unit) => unit === singular);
}

/** `ms` moved by `count` units in UTC (month/year arithmetic clamps to month ends, as dayjs does). */
export function addToDate(ms: number, count: number, unit: DateUnit): number {
  return dayjs().utc(ms).add(count, unit).valueOf();
}

/** Whole `unit`s from `from` to `to` (positive when `to` is later), truncated toward zero. */
export function diffDates(from: number, to: number, unit: DateUnit): number {
  return dayjs().utc(to).diff(dayjs().utc(from), unit);
}

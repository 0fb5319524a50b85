import { ApplicationFailure } from '@temporalio/common';
import type { JsonObject, JsonValue } from '../core/json';
import { isPlainObject } from '../core/json';
import type { ResolvedVariable } from '../services/variables.service';

/** What a resolved secret shows as, wherever its value would appear (step output, errors, logs). */
export const SECRET_MASK = '[secret]';

/**
 * Puts variable values into a step's params. The workflow rendered each `variables.<ref>` as a marker
 * (`markers`: ref -> marker, with a per-step random part, so data from events or earlier steps cannot
 * forge one); here each marker becomes the value, read from the database by the activity, so values
 * never enter the workflow's history. A ref that names no variable of the org fails the step, not retried.
 */
export function substituteVariables(
  params: JsonObject,
  markers: Record<string, string>,
  found: Map<string, ResolvedVariable>,
): { params: JsonObject; secrets: string[] } {
  const missing = Object.keys(markers).filter((ref) => !found.has(ref));
  if (missing.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `no variable ${missing.map((ref) => `"${ref}"`).join(', ')} in this org (POST /v1/variables)`,
      'variable_not_found',
    );
  }
  const replacements = Object.entries(markers).map(([ref, marker]) => [marker, found.get(ref)!.value] as const);
  const replace = (text: string): string =>
    replacements.reduce((out, [marker, value]) => (out.includes(marker) ? out.split(marker).join(value) : out), text);
  const secrets = [
    ...new Set(Object.keys(markers).flatMap((ref) => (found.get(ref)!.secret ? [found.get(ref)!.value] : []))),
  ];
  return { params: mapStrings(params, replace) as JsonObject, secrets: secrets.filter((s) => s !== '') };
}

/** A masker: every occurrence of a secret value (longest first) becomes `[secret]`. */
export function secretMasker(secrets: readonly string[]): (text: string) => string {
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  return (text) =>
    ordered.reduce((out, secret) => (out.includes(secret) ? out.split(secret).join(SECRET_MASK) : out), text);
}

/** `value` with `mask` applied to every string in it, keys included (a header may echo a secret as its name). */
export function mapStrings(value: JsonValue, mask: (text: string) => string): JsonValue {
  if (typeof value === 'string') return mask(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, mask));
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [mask(key), mapStrings(item, mask)]));
  }
  return value;
}

/**
 * The failure to throw in place of `error` once secrets are in play: message and details masked, the
 * stack dropped (it repeats the message), type, retryability and `nextRetryDelay` kept.
 */
export function maskedFailure(error: unknown, mask: (text: string) => string): ApplicationFailure {
  if (error instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      message: mask(error.message),
      type: error.type ?? undefined,
      nonRetryable: error.nonRetryable ?? undefined,
      details: error.details?.map((d) => mapStrings(d as JsonValue, mask)),
      nextRetryDelay: error.nextRetryDelay,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return ApplicationFailure.retryable(mask(message), error instanceof Error ? error.name : 'Error');
}

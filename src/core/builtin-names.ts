import { canonicalName } from './names';

/**
 * The steps the interpreter runs itself (see builtins.catalog.ts for their params). Kept apart from the
 * zod schemas for the reason action-names.ts is: the interpreter needs only the names.
 */
export const BUILTIN_STEP_NAMES = ['delay', 'wait-for-event', 'workflow.respond', 'workflow.call'] as const;

export type BuiltinStep = (typeof BUILTIN_STEP_NAMES)[number];

const NAMES: ReadonlySet<string> = new Set(BUILTIN_STEP_NAMES);
const ALIASES: Readonly<Record<string, BuiltinStep>> = { 'responsive-workflow.respond': 'workflow.respond' };

/** The canonical built-in step for a step's `action` (prefix optional), or undefined. */
export function lookupBuiltin(name: string): BuiltinStep | undefined {
  const canonical = canonicalName(name);
  return NAMES.has(canonical) ? (canonical as BuiltinStep) : ALIASES[canonical];
}

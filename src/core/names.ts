/**
 * Event and action names are accepted with or without the `kustomer.` prefix, so workflows exported
 * from that product import unchanged. Definitions keep the spelling the user gave; every lookup goes
 * through these functions.
 */
const PREFIX = 'kustomer.';

export function canonicalName(name: string): string {
  return name.startsWith(PREFIX) ? name.slice(PREFIX.length) : name;
}

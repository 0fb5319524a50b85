import type { ConnectionLike } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

/** temporal.api.enums.v1.IndexedValueType numbers (stable proto enum values). */
const INDEXED_VALUE_TYPE: Record<SearchAttributeType, number> = {
  TEXT: 1,
  KEYWORD: 2,
  INT: 3,
  DOUBLE: 4,
  BOOL: 5,
  DATETIME: 6,
  KEYWORD_LIST: 7,
};

const GRPC_ALREADY_EXISTS = 6;

interface SearchAttributeKeyLike {
  name: string;
  type: SearchAttributeType;
}

/**
 * Registers our custom search attributes on `namespace` if missing (idempotent; safe when several workers
 * start at once). Works against any Temporal server: dev server, docker-compose auto-setup, Cloud (where the
 * operator API may be refused: register them in the Cloud UI then). Returns the names it added.
 * Throws if one exists with another type, which needs a human decision.
 */
export async function ensureSearchAttributes(
  connection: Pick<ConnectionLike, 'operatorService'>,
  namespace: string,
  keys: readonly SearchAttributeKeyLike[] = SEARCH_ATTRIBUTES,
): Promise<string[]> {
  const listExisting = async (): Promise<Record<string, number>> => {
    const res = await connection.operatorService.listSearchAttributes({ namespace });
    return {
      ...(res.customAttributes as Record<string, number> | null),
      ...(res.systemAttributes as Record<string, number> | null),
    };
  };
  const existing = await listExisting();
  const missing: Record<string, number> = {};
  for (const key of keys) {
    const wanted = INDEXED_VALUE_TYPE[key.type];
    const have = existing[key.name];
    if (have === undefined) missing[key.name] = wanted;
    else if (have !== wanted) {
      throw new Error(`search attribute ${key.name} exists on ${namespace} with type #${have}, expected ${key.type}`);
    }
  }
  const names = Object.keys(missing);
  if (names.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (err) {
    if ((err as { code?: number }).code !== GRPC_ALREADY_EXISTS) throw err;
    // Another process added them meanwhile: fine if they are all there now.
    const now = await listExisting();
    const stillMissing = names.filter((n) => now[n] === undefined);
    if (stillMissing.length) throw err;
  }
  return names;
}

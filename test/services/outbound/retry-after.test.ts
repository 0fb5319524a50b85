import { describe, expect, it } from 'vitest';
import { retryAfterMs } from '../../../src/services/outbound/retry-after';

describe('retryAfterMs', () => {
  const now = Date.parse('2026-12-02T09:00:00Z');
  it.each<[string | undefined, number | undefined]>([
    [undefined, undefined],
    ['', undefined],
    ['120', 120_000],
    [' 0 ', 0],
    ['Wed, 02 Dec 2026 09:00:30 GMT', 30_000],
    ['Wed, 02 Dec 2026 08:00:00 GMT', 0],
    ['soon', undefined],
    ['-5', undefined],
  ])('reads %j as %j ms', (header, expected) => {
    expect(retryAfterMs(header, now)).toBe(expected);
  });
});

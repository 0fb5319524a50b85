import { describe, expect, it } from 'vitest';
import { parseBody, restRetryAfter, withQuery } from '../../src/activities/rest.activities';

describe('restRetryAfter', () => {
  const now = Date.UTC(2026, 0, 1, 12);
  it.each<[string | undefined, number | undefined]>([
    ['3', 3000],
    [' 0 ', 0],
    [new Date(now + 5000).toUTCString(), 5000],
    [new Date(now - 5000).toUTCString(), 0],
    ['86400', 600_000],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('reads %j as %j ms', (header, ms) => {
    expect(restRetryAfter(header, now)).toBe(ms);
  });
});

describe('withQuery', () => {
  it('appends params, repeating a key for an array, after the ones the URI has', () => {
    expect(withQuery('https://x.test/a?b=1', { c: 'd e', tag: ['1', '2'] })).toBe(
      'https://x.test/a?b=1&c=d+e&tag=1&tag=2',
    );
    expect(withQuery('https://x.test/a', undefined)).toBe('https://x.test/a');
    expect(withQuery('not a url', { a: '1' })).toBe('not a url');
  });
});

describe('parseBody', () => {
  const res = (text: string, type?: string) => ({
    body: Buffer.from(text),
    headers: type ? { 'content-type': type } : ({} as Record<string, string>),
  });
  it('parses JSON by content type or when asked, and falls back to the text', () => {
    expect(parseBody(res('{"a":1}', 'application/json; charset=utf-8'), false)).toEqual({ a: 1 });
    expect(parseBody(res('{"a":1}', 'application/problem+json'), false)).toEqual({ a: 1 });
    expect(parseBody(res('{"a":1}', 'text/plain'), false)).toBe('{"a":1}');
    expect(parseBody(res('[1,2]'), true)).toEqual([1, 2]);
    expect(parseBody(res('<html>', 'application/json'), false)).toBe('<html>');
    expect(parseBody(res('', 'application/json'), true)).toBe('');
  });
});

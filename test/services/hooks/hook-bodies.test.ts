import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors';
import { bodyKind, bodyText, parseMultipart, parseUrlEncoded } from '../../../src/services/hooks/hook-bodies';

function userError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected a UserError');
}

describe('bodyKind', () => {
  it.each([
    ['application/json', 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['application/ld+json', 'json'],
    ['Application/X-WWW-Form-Urlencoded', 'urlencoded'],
    ['multipart/form-data; boundary=x', 'multipart'],
  ])('%s is %s', (type, kind) => {
    expect(bodyKind(type, ['json', 'urlencoded', 'multipart'])).toBe(kind);
  });

  it('refuses a type the hook does not take with 415', () => {
    expect(userError(() => bodyKind('text/plain', ['json'])).status).toBe(415);
    expect(userError(() => bodyKind('multipart/form-data; boundary=x', ['json', 'urlencoded'])).status).toBe(415);
    expect(userError(() => bodyKind(undefined, ['json'])).code).toBe('unsupported_media_type');
  });
});

describe('bodyText', () => {
  it('reads UTF-8, and refuses other charsets (415) and invalid bytes (400)', () => {
    expect(bodyText(Buffer.from('{"é":1}'), 'application/json; charset="UTF-8"')).toBe('{"é":1}');
    expect(userError(() => bodyText(Buffer.from('{}'), 'application/json; charset=iso-8859-1')).code).toBe(
      'unsupported_charset',
    );
    expect(userError(() => bodyText(Buffer.from([0xc3, 0x28]), 'application/json')).code).toBe('invalid_body');
  });
});

describe('parseUrlEncoded', () => {
  it('nests bracketed names, repeats into arrays, and drops prototype keys', () => {
    expect(parseUrlEncoded('a=1&a=2&c%5Bd%5D%5Be%5D=x&plain=%F0%9F%91%8B&__proto__%5Bpolluted%5D=1')).toEqual({
      a: ['1', '2'],
      c: { d: { e: 'x' } },
      plain: '👋',
    });
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe('parseMultipart', () => {
  it('takes fields and counts files', async () => {
    const boundary = 'XyZ';
    const raw = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="user[name]"\r\n\r\nAda\r\n`),
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="doc"; filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      Buffer.alloc(300, 0),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const parsed = await parseMultipart(raw, { 'content-type': `multipart/form-data; boundary=${boundary}` });
    expect(parsed).toEqual({
      data: { user: { name: 'Ada' } },
      extra: { files: [{ field: 'doc', filename: 'a.bin', type: 'application/octet-stream', size: 300 }] },
    });
  });

  it('refuses a body without a boundary, or cut short, with 400', async () => {
    await expect(parseMultipart(Buffer.from('x'), { 'content-type': 'multipart/form-data' })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_body',
    });
    const cut = Buffer.from('--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nno end');
    await expect(parseMultipart(cut, { 'content-type': 'multipart/form-data; boundary=B' })).rejects.toMatchObject({
      status: 400,
    });
  });
});

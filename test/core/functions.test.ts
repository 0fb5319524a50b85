import { describe, expect, it } from 'vitest';
import type { EvalContext } from '../../src/core/context';
import {
  callFunction,
  formatDate,
  FUNCTION_NAMES,
  parseFunctionCall,
  parseIsoDate,
  toFiniteNumber,
} from '../../src/core/functions';

const ctx: EvalContext = {
  now: Date.UTC(2024, 0, 31, 12),
  steps: {
    '1': {
      intStr: '42',
      intPrefix: '12abc',
      floatStr: '3.75',
      negStr: '-7.9',
      num: 12.9,
      word: 'abc',
      empty: '',
      flag: true,
      none: null,
      createdAt: '2024-03-05T10:20:30Z',
      offsetAt: '2024-03-05T23:30:00+02:00',
      localAt: '2024-03-05T10:20:30',
      dayOnly: '2024-03-05',
      epoch: Date.UTC(2024, 2, 5, 10, 20, 30),
      email: 'ann@example.com',
      notEmail: 'ann.example.com',
      phone: '+14155552671',
      ukPhone: '+44 20 7946 0958',
      nationalPhone: '4155552671',
      shortPhone: '+1415',
      phoneNumber: 14155552671,
      tags: ['a'],
    },
  },
  error: { message: 'boom', code: 'E_HTTP' },
};

describe('FUNCTION_NAMES', () => {
  it('lists the documented functions', () => {
    expect([...FUNCTION_NAMES].sort()).toEqual(
      ['dateFormat', 'ifExists', 'isValidEmailAddress', 'isValidPhoneNumber', 'parseFloat', 'parseInt'].sort(),
    );
  });
});

describe('parseFunctionCall', () => {
  it.each([
    { expression: 'parseInt,steps.1.x', expected: { name: 'parseInt', path: 'steps.1.x', args: [] } },
    { expression: 'ifExists,steps.1.x,none', expected: { name: 'ifExists', path: 'steps.1.x', args: ['none'] } },
    {
      expression: 'dateFormat,steps.1.d,MMM D, YYYY',
      expected: { name: 'dateFormat', path: 'steps.1.d', args: ['MMM D, YYYY'] },
    },
    { expression: 'parseInt,/#steps.1.x', expected: { name: 'parseInt', path: 'steps.1.x', args: [] } },
    { expression: 'parseInt', expected: { name: 'parseInt', path: '', args: [] } },
  ])('splits "$expression"', ({ expression, expected }) => {
    expect(parseFunctionCall(expression)).toEqual(expected);
  });
});

describe('callFunction', () => {
  it.each([
    { expression: 'parseInt,steps.1.intStr', expected: 42 },
    { expression: 'parseInt,steps.1.intPrefix', expected: 12 },
    { expression: 'parseInt,steps.1.floatStr', expected: 3 },
    { expression: 'parseInt,steps.1.negStr', expected: -7 },
    { expression: 'parseInt,steps.1.num', expected: 12 },
    { expression: 'parseInt,steps.1.word', expected: undefined },
    { expression: 'parseInt,steps.1.empty', expected: undefined },
    { expression: 'parseInt,steps.1.flag', expected: undefined },
    { expression: 'parseInt,steps.1.missing', expected: undefined },
    { expression: 'parseFloat,steps.1.floatStr', expected: 3.75 },
    { expression: 'parseFloat,steps.1.negStr', expected: -7.9 },
    { expression: 'parseFloat,steps.1.intPrefix', expected: 12 },
    { expression: 'parseFloat,steps.1.num', expected: 12.9 },
    { expression: 'parseFloat,steps.1.word', expected: undefined },
    { expression: 'parseFloat,steps.1.none', expected: undefined },
  ])('parses numbers: $expression -> $expected', ({ expression, expected }) => {
    expect(callFunction(expression, ctx)).toBe(expected);
  });

  it.each([
    { expression: 'dateFormat,steps.1.createdAt,YYYY-MM-DD', expected: '2024-03-05' },
    { expression: 'dateFormat,steps.1.createdAt,MMM D, YYYY', expected: 'Mar 5, 2024' },
    { expression: 'dateFormat,steps.1.createdAt,LL', expected: 'March 5, 2024' },
    { expression: 'dateFormat,steps.1.createdAt,Do [of] MMMM, HH:mm:ss', expected: '5th of March, 10:20:30' },
    { expression: 'dateFormat,steps.1.createdAt,X', expected: '1709634030' },
    { expression: 'dateFormat,steps.1.offsetAt,YYYY-MM-DD HH:mm', expected: '2024-03-05 21:30' },
    { expression: 'dateFormat,steps.1.localAt,HH:mm', expected: '10:20' },
    { expression: 'dateFormat,steps.1.dayOnly,YYYY-MM-DDTHH:mm', expected: '2024-03-05T00:00' },
    { expression: 'dateFormat,steps.1.epoch,YYYY-MM-DD HH:mm', expected: '2024-03-05 10:20' },
    { expression: 'dateFormat,steps.1.createdAt', expected: '2024-03-05T10:20:30.000Z' },
    { expression: 'dateFormat,steps.1.word,YYYY', expected: undefined },
    { expression: 'dateFormat,steps.1.missing,YYYY', expected: undefined },
  ])('formats dates in UTC: $expression -> $expected', ({ expression, expected }) => {
    expect(callFunction(expression, ctx)).toBe(expected);
  });

  it.each([
    { expression: 'ifExists,steps.1.intStr,fallback', expected: '42' },
    { expression: 'ifExists,steps.1.flag,fallback', expected: true },
    { expression: 'ifExists,steps.1.tags,fallback', expected: ['a'] },
    { expression: 'ifExists,steps.1.empty,fallback', expected: '' },
    { expression: 'ifExists,steps.1.missing,fallback', expected: 'fallback' },
    { expression: 'ifExists,steps.1.none,fallback', expected: 'fallback' },
    { expression: 'ifExists,steps.1.missing,', expected: '' },
    { expression: 'ifExists,steps.1.missing', expected: undefined },
    { expression: 'ifExists,error.code,none', expected: 'E_HTTP' },
  ])('falls back: $expression -> $expected', ({ expression, expected }) => {
    expect(callFunction(expression, ctx)).toEqual(expected);
  });

  it.each([
    { expression: 'isValidEmailAddress,steps.1.email', expected: true },
    { expression: 'isValidEmailAddress,steps.1.notEmail', expected: false },
    { expression: 'isValidEmailAddress,steps.1.missing', expected: false },
    { expression: 'isValidEmailAddress,steps.1.num', expected: false },
    { expression: 'isValidPhoneNumber,steps.1.phone', expected: true },
    { expression: 'isValidPhoneNumber,steps.1.ukPhone', expected: true },
    { expression: 'isValidPhoneNumber,steps.1.nationalPhone', expected: false },
    { expression: 'isValidPhoneNumber,steps.1.shortPhone', expected: false },
    { expression: 'isValidPhoneNumber,steps.1.phoneNumber', expected: false },
    { expression: 'isValidPhoneNumber,steps.1.missing', expected: false },
  ])('validates: $expression -> $expected', ({ expression, expected }) => {
    expect(callFunction(expression, ctx)).toBe(expected);
  });

  it.each([
    { name: 'the function is unknown', expression: 'toUpperCase,steps.1.word' },
    { name: 'the name is empty', expression: ',steps.1.word' },
    { name: 'the path is missing', expression: 'parseInt' },
  ])('returns undefined when $name', ({ expression }) => {
    expect(callFunction(expression, ctx)).toBeUndefined();
  });
});

describe('toFiniteNumber', () => {
  it.each([
    { value: 42, expected: 42 },
    { value: '42', expected: 42 },
    { value: ' 4.5 ', expected: 4.5 },
    { value: '-1e3', expected: -1000 },
    { value: '', expected: undefined },
    { value: '  ', expected: undefined },
    { value: '12abc', expected: undefined },
    { value: true, expected: undefined },
    { value: null, expected: undefined },
    { value: Number.NaN, expected: undefined },
    { value: 'Infinity', expected: undefined },
  ])('casts $value to $expected', ({ value, expected }) => {
    expect(toFiniteNumber(value)).toBe(expected);
  });
});

describe('parseIsoDate', () => {
  it.each([
    { text: '2024-03-05', expected: Date.UTC(2024, 2, 5) },
    { text: '2024-03-05T10:20:30Z', expected: Date.UTC(2024, 2, 5, 10, 20, 30) },
    { text: '2024-03-05T10:20:30.250Z', expected: Date.UTC(2024, 2, 5, 10, 20, 30, 250) },
    { text: '2024-03-05T10:20:30', expected: Date.UTC(2024, 2, 5, 10, 20, 30) },
    { text: '2024-03-05 10:20', expected: Date.UTC(2024, 2, 5, 10, 20) },
    { text: '2024-03-05T10:20:30+02:00', expected: Date.UTC(2024, 2, 5, 8, 20, 30) },
    { text: '2024-03-05T10:20:30-0130', expected: Date.UTC(2024, 2, 5, 11, 50, 30) },
    { text: '2024-03-05T10:20:30+02', expected: Date.UTC(2024, 2, 5, 8, 20, 30) },
    { text: '2024-13-05', expected: undefined },
    { text: 'March 5, 2024', expected: undefined },
    { text: '1709634030', expected: undefined },
    { text: '', expected: undefined },
  ])('reads "$text"', ({ text, expected }) => {
    expect(parseIsoDate(text)).toBe(expected);
  });
});

describe('formatDate', () => {
  it.each([
    {
      value: '2024-03-05T10:20:30Z',
      format: 'dddd, MMMM Do YYYY, h:mm a',
      expected: 'Tuesday, March 5th 2024, 10:20 am',
    },
    { value: '2024-03-05T10:20:30Z', format: 'L LT', expected: '03/05/2024 10:20 AM' },
    { value: 0, format: 'x', expected: '0' },
    { value: 0, format: '', expected: '1970-01-01T00:00:00.000Z' },
    { value: true, format: 'YYYY', expected: undefined },
  ])('formats $value with "$format"', ({ value, format, expected }) => {
    expect(formatDate(value, format)).toBe(expected);
  });
});

// Found by the properties in references.property.test.ts and templates.property.test.ts.
describe('hostile input (regressions)', () => {
  const hostile: EvalContext = {
    now: 0,
    steps: { '1': { body: 'a'.repeat(400_000), n: 1e16, below: -8.64e15 - 1, at: '2024-05-01T10:00:00Z', zero: 0 } },
  };

  it('checks a 400,000-character address without "@" in linear time (/.+@.+/ took minutes)', () => {
    const start = performance.now();
    expect(callFunction('isValidEmailAddress,steps.1.body', hostile)).toBe(false);
    expect(performance.now() - start).toBeLessThan(200);
  });

  it.each(['a@b', 'x\na@b', ' @ '])('still accepts %j as an email address', (text) => {
    expect(callFunction('isValidEmailAddress,steps.1.v', { now: 0, steps: { '1': { v: text } } })).toBe(true);
  });

  it.each(['@ab', 'ab@', 'a\n@b', 'a@\nb', '@'])('still refuses %j as an email address', (text) => {
    expect(callFunction('isValidEmailAddress,steps.1.v', { now: 0, steps: { '1': { v: text } } })).toBe(false);
  });

  it('gives missing for epoch ms a Date cannot hold, instead of throwing a RangeError', () => {
    expect(callFunction('dateFormat,steps.1.n', hostile)).toBeUndefined();
    expect(callFunction('dateFormat,steps.1.below,YYYY', hostile)).toBeUndefined();
    expect(formatDate(8.64e15, 'YYYY')).toBe('275760');
  });

  it.each(['w', 'Week ww', 'wo', 'WW', 'gggg', 'GGGG', 'zzz', 'Bad <gateway>'])(
    'gives missing for the format %j, whose tokens need a dayjs plugin not loaded (dayjs threw a TypeError)',
    (format) => {
      expect(callFunction(`dateFormat,steps.1.at,${format}`, hostile)).toBeUndefined();
    },
  );

  it('formats 50,000 unmatched "[" in linear time, as text (dayjs took 4 s)', () => {
    const start = performance.now();
    expect(callFunction(`dateFormat,steps.1.zero,YYYY [x] ${'['.repeat(50_000)}`, hostile)).toBe(
      `1970 x ${'['.repeat(50_000)}`,
    );
    expect(performance.now() - start).toBeLessThan(300);
  });
});

import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { maskedFailure, secretMasker, substituteVariables } from '../../src/activities/variables';

const found = new Map([
  ['apiKey', { value: 'sk-SECRET-1', secret: true }],
  ['63d19ecab24da0e2e2268462', { value: 'https://api.example.com', secret: false }],
]);
const markers = {
  apiKey: '⟨variables.apiKey:ab12⟩',
  '63d19ecab24da0e2e2268462': '⟨variables.63d19ecab24da0e2e2268462:ab12⟩',
};

describe('substituteVariables', () => {
  it('puts each value where its marker is, deeply, and lists the secret values', () => {
    const params = {
      uri: '⟨variables.63d19ecab24da0e2e2268462:ab12⟩/v1/x',
      headers: {
        Authorization: 'Bearer ⟨variables.apiKey:ab12⟩',
        Twice: '⟨variables.apiKey:ab12⟩⟨variables.apiKey:ab12⟩',
      },
      data: [{ k: '⟨variables.apiKey:ab12⟩' }, 7, null],
    };
    const out = substituteVariables(params, markers, found);
    expect(out.params).toEqual({
      uri: 'https://api.example.com/v1/x',
      headers: { Authorization: 'Bearer sk-SECRET-1', Twice: 'sk-SECRET-1sk-SECRET-1' },
      data: [{ k: 'sk-SECRET-1' }, 7, null],
    });
    expect(out.secrets).toEqual(['sk-SECRET-1']);
  });

  it('leaves text that only looks like a marker (another nonce, data from an event) alone', () => {
    const out = substituteVariables({ body: '⟨variables.apiKey:ffff⟩ {{{variables.apiKey}}}' }, markers, found);
    expect(out.params).toEqual({ body: '⟨variables.apiKey:ffff⟩ {{{variables.apiKey}}}' });
  });

  it('fails, not retryable, naming every variable the org lacks', () => {
    let error: unknown;
    try {
      substituteVariables({}, { ...markers, nope: 'm1', gone: 'm2' }, found);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect((error as ApplicationFailure).type).toBe('variable_not_found');
    expect((error as ApplicationFailure).nonRetryable).toBe(true);
    expect((error as ApplicationFailure).message).toContain('"nope", "gone"');
  });
});

describe('secretMasker', () => {
  it('masks every occurrence, the longer secret first', () => {
    const mask = secretMasker(['abc', 'abcdef']);
    expect(mask('x abcdef y abc z')).toBe('x [secret] y [secret] z');
    expect(mask('nothing here')).toBe('nothing here');
  });
});

describe('maskedFailure', () => {
  const mask = secretMasker(['sk-SECRET-1']);

  it('keeps type, retryability and the retry delay, and masks message and details', () => {
    const original = ApplicationFailure.create({
      message: 'HTTP 503 from GET host: bad key sk-SECRET-1',
      type: 'http_5xx',
      details: [{ echo: 'sk-SECRET-1' }],
      nextRetryDelay: 1500,
    });
    const masked = maskedFailure(original, mask);
    expect(masked.message).toBe('HTTP 503 from GET host: bad key [secret]');
    expect(masked.type).toBe('http_5xx');
    expect(masked.nonRetryable).toBe(false);
    expect(masked.nextRetryDelay).toBe(1500);
    expect(masked.details).toEqual([{ echo: '[secret]' }]);
    expect(masked.stack ?? '').not.toContain('sk-SECRET-1');
  });

  it('turns an unexpected error into a retryable failure without the secret', () => {
    const masked = maskedFailure(new TypeError('cannot read sk-SECRET-1'), mask);
    expect(masked.message).toBe('cannot read [secret]');
    expect(masked.type).toBe('TypeError');
    expect(masked.nonRetryable).toBe(false);
  });
});

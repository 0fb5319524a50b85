import { describe, expect, it } from 'vitest';
import { canonicalName, hookEventName, isHookEventName, isRecordEventName } from '../../src/core/names';

describe('hookEventName', () => {
  it('is the name an exported trigger kustomer.hooks.<type>.<id>.receive listens to', () => {
    const id = '63d19dea07506a356d06d3e6';
    expect(hookEventName('form', id)).toBe(`hooks.form.${id}.receive`);
    expect(canonicalName(`kustomer.hooks.form.${id}.receive`)).toBe(hookEventName('form', id));
    expect(canonicalName('kustomer.hooks.email.673e8233fc61042b8d8fe13d.receive')).toBe(
      hookEventName('email', '673e8233fc61042b8d8fe13d'),
    );
  });
});

describe('isHookEventName', () => {
  it.each([
    ['hooks.web.x.receive', true],
    ['kustomer.hooks.form.x.receive', true],
    ['hooksmith.order', false],
    ['acme.hooks.x', false],
    ['conversation.update', false],
  ])('%s: %s', (name, reserved) => {
    expect(isHookEventName(name)).toBe(reserved);
    if (reserved) expect(isRecordEventName(name)).toBe(false);
  });
});

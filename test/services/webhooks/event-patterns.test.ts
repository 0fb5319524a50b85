import { describe, expect, it } from 'vitest';
import { EventPatternSchema, matchesEvent } from '../../../src/services/webhooks/event-patterns';

describe('EventPatternSchema', () => {
  it.each([
    ['conversation.update', 'conversation.update'],
    ['kustomer.conversation.update', 'conversation.update'],
    ['conversation.*', 'conversation.*'],
    ['kustomer.conversation.*', 'conversation.*'],
    ['hooks.web.63d1.receive', 'hooks.web.63d1.receive'],
    ['*', '*'],
    [' acme.order-shipped ', 'acme.order-shipped'],
  ])('accepts %j as %j', (pattern, stored) => {
    expect(EventPatternSchema.parse(pattern)).toBe(stored);
  });

  it.each(['', 'conv*', '*.update', 'conversation.*.x', 'a b', '.update', `${'a'.repeat(201)}`, 'conversation.**'])(
    'refuses %j',
    (pattern) => {
      expect(EventPatternSchema.safeParse(pattern).success).toBe(false);
    },
  );
});

describe('matchesEvent', () => {
  it.each<[string[], string, boolean]>([
    [['*'], 'anything.at.all', true],
    [['conversation.update'], 'conversation.update', true],
    [['conversation.update'], 'kustomer.conversation.update', true],
    [['conversation.update'], 'conversation.create', false],
    [['conversation.*'], 'conversation.create', true],
    [['conversation.*'], 'conversations.create', false],
    [['conversation.*'], 'conversation', false],
    [['hooks.*'], 'hooks.form.abc.receive', true],
    [['hooks.form.*'], 'hooks.web.abc.receive', false],
    [['message.create', 'acme.*'], 'acme.order-shipped', true],
    [[], 'conversation.update', false],
  ])('%j matches %j: %s', (patterns, name, expected) => {
    expect(matchesEvent(patterns, name)).toBe(expected);
  });
});

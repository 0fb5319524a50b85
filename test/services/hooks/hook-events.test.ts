import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors';
import { hookEventData } from '../../../src/services/hooks/hook-events';

const hook = { _id: 'aaaaaaaaaaaaaaaaaaaaaaaa', org: 'o1', type: 'web', name: 'orders' } as const;

describe('hookEventData', () => {
  it('puts the body under attributes.data with the delivery, and no credential headers or query keys', () => {
    const data = hookEventData(
      {
        hook,
        deliveryId: 'msg_1',
        data: { order: 7 },
        headers: {
          authorization: 'Bearer whsec_x',
          cookie: 'sid=1',
          'webhook-signature': 'v1,abc',
          'x-api-key': 'k',
          'x-hub-token': 't',
          'user-agent': 'sender/1',
          'x-list': ['a', 'b'] as unknown as string,
        },
        query: { token: 'secret', source: 'crm' },
        extra: { files: [] },
      },
      new Date('2026-01-02T03:04:05.000Z'),
    );
    expect(data).toEqual({
      type: 'hook',
      attributes: {
        data: { order: 7 },
        hook: { id: hook._id, type: 'web', name: 'orders' },
        deliveryId: 'msg_1',
        receivedAt: '2026-01-02T03:04:05.000Z',
        headers: { 'user-agent': 'sender/1', 'x-list': 'a, b' },
        query: { source: 'crm' },
        files: [],
      },
    });
  });

  it('refuses a body nested too deep for an event, with its path', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = { d: deep };
    expect(() =>
      hookEventData({ hook, deliveryId: 'm', data: deep as never, headers: {}, query: {} }, new Date()),
    ).toThrow(ValidationError);
  });
});

import { describe, expectTypeOf, it } from 'vitest';
import type { CreatePlan, RecordEdit, RecordJson, UpdatePlan } from '../../../src/services/records';

/**
 * Type-level checks, enforced by `tsc --noEmit` (the first step of `npm test`): a plan names its record
 * kind and can hold only that kind's record and edits, so a plan of one kind cannot be applied as another.
 * Each `@ts-expect-error` fails the type check the day the line it marks becomes legal.
 */
describe('plans are typed by their record kind', () => {
  it("holds that kind's record", () => {
    expectTypeOf<CreatePlan<'customer'>['record']>().toEqualTypeOf<RecordJson<'customer'>>();
    expectTypeOf<CreatePlan<'customer'>['kind']>().toEqualTypeOf<'customer'>();
    expectTypeOf<CreatePlan<'conversation'>>().not.toExtend<CreatePlan<'customer'>>();
    expectTypeOf<UpdatePlan<'conversation'>>().not.toExtend<UpdatePlan<'customer'>>();
  });

  it("takes only that kind's edits", () => {
    expectTypeOf<RecordEdit<'customer'>['type']>().toEqualTypeOf<'customer.patch'>();
    // @ts-expect-error: a conversation's edit is not a customer's
    const wrong: RecordEdit<'customer'> = { type: 'conversation.append-tags', tags: ['vip'] };
    expectTypeOf(wrong).toEqualTypeOf<RecordEdit<'customer'>>();
  });

  it('cannot name another kind than its record', () => {
    const conversationPlan = {} as CreatePlan<'conversation'>;
    // @ts-expect-error: a conversation's plan is not a customer's
    const asCustomer: CreatePlan<'customer'> = conversationPlan;
    expectTypeOf(asCustomer.kind).toEqualTypeOf<'customer'>();
  });
});

import { describe, expectTypeOf, it } from 'vitest';
import { createTrpcClient, type RouterInputs, type TrpcClient } from '../src/index.js';

/**
 * tRPC inputs typed as the values a TypeScript caller has, at the type level: each
 * `@ts-expect-error` line makes `npm run typecheck` fail the moment the call below it compiles, so
 * a wire form (`'60'`, `'true'`) typed as accepted, or an omitted required input, cannot come back.
 * The calls are only type-checked: `calls` is never run, so no server is needed.
 */
function calls(client: TrpcClient) {
  return {
    durationAsNumber: () => client.mentors.list.query({ duration: 60 }),
    // @ts-expect-error a duration is 30, 45 or 60 minutes, not a word
    durationAsWord: () => client.mentors.list.query({ duration: 'sixty' }),
    // @ts-expect-error a duration is a number, not the text of one
    durationAsText: () => client.mentors.list.query({ duration: '60' }),
    // @ts-expect-error 31 is no session length
    durationOffTheList: () => client.mentors.list.query({ duration: 31 }),
    premiumAsBoolean: () => client.mentors.list.query({ is_premium: true }),
    // @ts-expect-error a flag is a boolean, not the text of one
    premiumAsText: () => client.mentors.list.query({ is_premium: 'true' }),
    // @ts-expect-error an id is a number
    idAsText: () => client.bookings.get.query({ id: '1' }),
    limitAsNumber: () => client.bookings.list.query({ limit: 10, upcoming: true }),
    noInputAtAll: () => client.areas.list.query(),
    onlyOptionalInput: () => client.bookings.list.query(),
    mentorsWithoutFilters: () => client.mentors.list.query(),
    requiredInputGiven: () => client.mentors.get.query({ id: 1 }),
    // @ts-expect-error a booking is named by id: the input cannot be left out
    requiredInputOmitted: () => client.bookings.get.query(),
    // @ts-expect-error a search names its area
    requiredFieldOmitted: () => client.slots.search.query({ duration: 30 }),
  };
}

describe('tRPC inputs are typed as values', () => {
  it('types numbers, booleans and enums as values, not as their query-string text', () => {
    type Given<Input> = Extract<Input, object>;
    expectTypeOf<Given<RouterInputs['mentors']['list']>>().toEqualTypeOf<{
      area_of_expertise?: string | undefined;
      is_premium?: boolean | undefined;
      from?: string | undefined;
      to?: string | undefined;
      duration?: 30 | 45 | 60 | undefined;
      limit?: number | undefined;
      cursor?: string | undefined;
    }>();
    expectTypeOf<Given<RouterInputs['bookings']['list']>['student_id']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Given<RouterInputs['bookings']['list']>['upcoming']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<RouterInputs['bookings']['get']>().toEqualTypeOf<{ id: number }>();
  });

  it('types an input without required fields as one that may be left out, and only that', () => {
    expectTypeOf<undefined>().toExtend<RouterInputs['mentors']['list']>();
    expectTypeOf<undefined>().toExtend<RouterInputs['bookings']['list']>();
    expectTypeOf<undefined>().not.toExtend<RouterInputs['bookings']['get']>();
    expectTypeOf<undefined>().not.toExtend<RouterInputs['slots']['search']>();
  });

  it('lets a procedure without required input be called with no argument', () => {
    const client = createTrpcClient({ url: 'http://127.0.0.1:1/trpc' });
    const typed = calls(client);
    expectTypeOf(typed.noInputAtAll).returns.resolves.toBeArray();
    expectTypeOf(typed.onlyOptionalInput).returns.resolves.toHaveProperty('items');
    expectTypeOf(typed.requiredInputGiven).returns.resolves.toHaveProperty('id');
  });
});

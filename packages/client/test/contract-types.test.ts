import type {
  Operation,
  OperationCallInput,
  OperationRawInput,
  OperationResult,
  Operations,
  Problem,
} from '@mentor-scheduling/contracts';
import { describe, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { components, operations, paths, RouterInputs, RouterOutputs } from '../src/index.js';
import type { Same } from './support/same.js';

/**
 * The typed clients against the contract, at the type level: `npm run typecheck` fails (and this
 * file's assertions with it) when the REST client's types, generated from openapi/openapi.yaml, or
 * the tRPC client's types, inferred from the server's router, stop matching the zod schemas of
 * packages/contracts. Every check runs over the whole operation table, so a new operation is checked
 * without editing this file; each names the operations that disagree.
 */

type Entry = {
  [N in keyof Operations]: { [K in keyof Operations[N]]: Operations[N][K] }[keyof Operations[N]];
}[keyof Operations];
type OperationById<Id> = Extract<Entry, { id: Id }>;
/** A part of an operation (`body`, `query`, …), `undefined` when the operation has none. */
type Part<Op, Key extends string> = Key extends keyof Op ? Op[Key] : undefined;
type Id = Entry['id'];
type WithProcedure = Exclude<Entry, { trpc: null }>;

type Namespace<Op> = Op extends { id: `${infer N}.${string}` } ? N : never;
type Procedure<Op> = Op extends { id: `${string}.${infer P}` } ? P : never;

/** The media type of an operation's success: JSON, or the document it declares it produces. */
type MediaTypeOf<Op extends Operation> = Op['produces'] extends string ? Op['produces'] : 'application/json';
type RestOperation<Op extends Operation> = operations[Op['id'] & keyof operations];
type RestSuccess<Op extends Operation> = RestOperation<Op>['responses'] extends infer R
  ? Op['successStatus'] extends keyof R
    ? R[Op['successStatus']] extends { content: { [Type in MediaTypeOf<Op>]: infer Body } }
      ? Body
      : never
    : never
  : never;
/** The JSON body of a REST operation, whether the spec marks the body required or optional. */
type RestBody<Op extends Operation> =
  RestOperation<Op> extends {
    requestBody?: { content: { 'application/json': infer Body } };
  }
    ? Body
    : never;
type RestParameters<Op extends Operation, Where extends 'path' | 'query'> =
  RestOperation<Op> extends {
    parameters: { [W in Where]?: infer P };
  }
    ? [P] extends [never | undefined]
      ? Record<never, never>
      : NonNullable<P>
    : Record<never, never>;

type ShapeInput<S> = S extends z.ZodType ? z.input<S> : Record<never, never>;
type RequiredKeys<T> = { [K in keyof T]-?: Record<never, never> extends Pick<T, K> ? never : K }[keyof T];

/** Ids of operations whose check fails (`never` when all agree). */
type Failing<Check extends Record<Id, boolean>> = { [K in Id]: Check[K] extends true ? never : K }[Id];

type SuccessMatches = {
  [K in Id]: Same<RestSuccess<OperationById<K>>, z.output<OperationById<K>['response']>>;
};
type BodyMatches = {
  [K in Id]: Part<OperationById<K>, 'body'> extends z.ZodType
    ? Same<RestBody<OperationById<K>>, z.input<Part<OperationById<K>, 'body'>>>
    : true;
};
/** Same parameter names, same required ones, and every value the client may send is accepted. */
type ParametersMatch<Op extends Operation, Where extends 'path' | 'query', Schema> =
  Same<keyof RestParameters<Op, Where>, keyof ShapeInput<Schema>> extends true
    ? Same<RequiredKeys<RestParameters<Op, Where>>, RequiredKeys<ShapeInput<Schema>>> extends true
      ? RestParameters<Op, Where> extends ShapeInput<Schema>
        ? true
        : false
      : false
    : false;
type PathMatches = { [K in Id]: ParametersMatch<OperationById<K>, 'path', Part<OperationById<K>, 'params'>> };
type QueryMatches = {
  [K in Id]: ParametersMatch<OperationById<K>, 'query', Part<OperationById<K>, 'query'>>;
};

type TrpcOutput<Op> =
  Namespace<Op> extends keyof RouterOutputs
    ? Procedure<Op> extends keyof RouterOutputs[Namespace<Op>]
      ? RouterOutputs[Namespace<Op>][Procedure<Op>]
      : never
    : never;
type TrpcInput<Op> =
  Namespace<Op> extends keyof RouterInputs
    ? Procedure<Op> extends keyof RouterInputs[Namespace<Op>]
      ? RouterInputs[Namespace<Op>][Procedure<Op>]
      : never
    : never;
type TrpcIds = WithProcedure['id'];
type TrpcOutputMatches = {
  [K in Id]: K extends TrpcIds ? Same<TrpcOutput<OperationById<K>>, OperationResult<OperationById<K>>> : true;
};
/** An input given, as an object: tRPC types an input that may be left out as `void | undefined | …`. */
type Given<Input> = Extract<Input, object>;
type MayBeLeftOut<Input> = undefined extends Input ? true : false;
/** The merged input of an operation with no params, query or body: no keys, or `Record<string, never>`. */
type TakesNothing<T> = [keyof T] extends [never] ? true : string extends keyof T ? true : false;
type TrpcInputMatches = {
  [K in Id]: K extends TrpcIds
    ? Same<Given<TrpcInput<OperationById<K>>>, Given<OperationCallInput<OperationById<K>>>> extends true
      ? Same<MayBeLeftOut<TrpcInput<OperationById<K>>>, MayBeLeftOut<OperationCallInput<OperationById<K>>>>
      : false
    : true;
};
/**
 * The input may be left out exactly when no field of it is required; given, it is the contract's
 * input as values (and an operation without input takes none).
 */
type TrpcInputOptionalMatches = {
  [K in Id]: K extends TrpcIds
    ? Same<
        MayBeLeftOut<TrpcInput<OperationById<K>>>,
        [RequiredKeys<OperationRawInput<OperationById<K>>>] extends [never] ? true : false
      > extends true
      ? Same<
          Given<TrpcInput<OperationById<K>>>,
          TakesNothing<OperationRawInput<OperationById<K>>> extends true
            ? never
            : OperationRawInput<OperationById<K>>
        >
      : false
    : true;
};
/** What a REST answer holds, a tRPC answer holds too: the object, or for lists each page's items. */
type SurfacesMatch = {
  [K in Id]: K extends TrpcIds
    ? OperationById<K> extends { paginated: true }
      ? Same<
          TrpcOutput<OperationById<K>> extends { items: infer Items } ? Items : never,
          RestSuccess<OperationById<K>>
        >
      : Same<TrpcOutput<OperationById<K>>, RestSuccess<OperationById<K>>>
    : true;
};

describe('the typed clients match the contract', () => {
  it('types every REST success answer as the zod output of its response schema', () => {
    expectTypeOf<Failing<SuccessMatches>>().toEqualTypeOf<never>();
  });

  it('types every REST request body as the zod input of its body schema', () => {
    expectTypeOf<Failing<BodyMatches>>().toEqualTypeOf<never>();
  });

  it('types path and query parameters with the names, requiredness and values the schemas take', () => {
    expectTypeOf<Failing<PathMatches>>().toEqualTypeOf<never>();
    expectTypeOf<Failing<QueryMatches>>().toEqualTypeOf<never>();
  });

  it('types every REST error answer as the contract’s problem document', () => {
    expectTypeOf<components['schemas']['Problem']>().toEqualTypeOf<Problem>();
  });

  it('types every tRPC procedure with the contract’s input and result, and like its REST twin', () => {
    expectTypeOf<Failing<TrpcOutputMatches>>().toEqualTypeOf<never>();
    expectTypeOf<Failing<TrpcInputMatches>>().toEqualTypeOf<never>();
    expectTypeOf<Failing<TrpcInputOptionalMatches>>().toEqualTypeOf<never>();
    expectTypeOf<Failing<SurfacesMatch>>().toEqualTypeOf<never>();
  });

  it('has a REST path for every operation and a tRPC procedure for every one that opts in', () => {
    type PathOf<K extends Id> = OperationById<K>['path'];
    type MissingPaths = { [K in Id]: PathOf<K> extends keyof paths ? never : K }[Id];
    type MissingProcedures = {
      [K in TrpcIds]: [TrpcOutput<OperationById<K>>] extends [never] ? K : never;
    }[TrpcIds];
    expectTypeOf<MissingPaths>().toEqualTypeOf<never>();
    expectTypeOf<MissingProcedures>().toEqualTypeOf<never>();
  });

  it('keeps the first backend’s booking answer, with the message of a booking held for payment', () => {
    type Created = paths['/api/bookings']['post']['responses']['201']['content']['application/json'];
    expectTypeOf<Created['message']>().toEqualTypeOf<'Booking confirmed' | 'Booking held until paid'>();
    expectTypeOf<Created['booking_id']>().toEqualTypeOf<number>();
    expectTypeOf<
      Same<Created, z.output<Operations['bookings']['create']['response']>>
    >().toEqualTypeOf<true>();
  });
});

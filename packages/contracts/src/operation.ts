import { z } from 'zod';
import type { ErrorCode } from './errors.js';
import type { Role } from './schemas/auth.js';
import { IdempotencyKeySchema } from './schemas/bookings.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type ObjectSchema = z.ZodObject<z.ZodRawShape>;

/**
 * One operation of the API: the single description from which the REST route, the tRPC procedure,
 * the OpenAPI entry and the typed clients are all derived.
 */
export interface Operation {
  /** `namespace.name`, also the tRPC procedure path and the OpenAPI operationId */
  readonly id: string;
  readonly method: HttpMethod;
  /** OpenAPI-style path with `{param}` placeholders */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly params?: ObjectSchema;
  readonly query?: ObjectSchema;
  readonly body?: ObjectSchema;
  readonly response: z.ZodType;
  readonly successStatus: 200 | 201;
  /** Error codes this operation may answer besides the ones every operation may (400, 500) */
  readonly errors: readonly ErrorCode[];
  /** tRPC procedure kind; `null` keeps the operation REST-only */
  readonly trpc: 'query' | 'mutation' | null;
  /**
   * Paginated lists answer a bare array on REST (next page in a `Link` header, as the first backend's
   * clients expect) and `{ items, nextCursor }` on tRPC.
   */
  readonly paginated?: boolean;
  /**
   * Retries are safe: REST takes an `Idempotency-Key` header (and refuses a body field or query
   * parameter of that name, which a client might believe was honoured), tRPC an `idempotency_key`
   * input field, and the service answers a repeated key with the first answer.
   */
  readonly idempotent?: boolean;
  /**
   * The body is signed by its sender (a payment provider's webhook): REST keeps the exact bytes
   * received and hands them, with the signature read from `header`, to the service, which verifies
   * them before anything is parsed. `body` then only documents what the sender sends.
   */
  readonly signedBody?: { readonly header: string };
  /**
   * The answer is not JSON but a document of this media type (an iCalendar file): REST sends the
   * service's string as it is; tRPC answers the same string.
   */
  readonly produces?: 'text/calendar';
  /**
   * Who may call it: `public`, or the roles allowed (then a bearer token is required). Rules about
   * whose data it is (a student books for self) are checked by the service on top of this.
   */
  readonly access: 'public' | readonly Role[];
}

type ShapeOf<S> = S extends z.ZodObject<infer Shape> ? Shape : Record<never, never>;

/**
 * The service input, and the tRPC input as one object: path params, query and body merged. REST
 * reads each part from its own place in the request and merges them only after checking each.
 */
type IdempotencyShapeOf<Op extends Operation> = Op['idempotent'] extends true
  ? { idempotency_key: z.ZodOptional<typeof IdempotencyKeySchema> }
  : Record<never, never>;
export type InputShapeOf<Op extends Operation> = ShapeOf<Op['params']> &
  ShapeOf<Op['query']> &
  ShapeOf<Op['body']> &
  IdempotencyShapeOf<Op>;
export type InputSchemaOf<Op extends Operation> = z.ZodObject<InputShapeOf<Op>>;
/** What the service receives of a signed delivery: the bytes as received and the signature header. */
export interface SignedDelivery {
  payload: Buffer;
  signature: string | undefined;
}
export type OperationInput<Op extends Operation> = Op['signedBody'] extends { header: string }
  ? SignedDelivery
  : z.output<InputSchemaOf<Op>>;
export type OperationRawInput<Op extends Operation> = z.input<InputSchemaOf<Op>>;
/**
 * What a tRPC caller passes: the input as values (numbers, booleans, ISO strings); nothing for an
 * operation without input, and possibly nothing when no field is required (`client.areas.list.query()`,
 * `client.bookings.list.query()`).
 */
export type OperationCallInput<Op extends Operation> = [keyof InputShapeOf<Op>] extends [never]
  ? undefined
  : Record<never, never> extends OperationRawInput<Op>
    ? OperationRawInput<Op> | undefined
    : OperationRawInput<Op>;

export type ItemOf<R> = R extends z.ZodArray<infer Item> ? z.output<Item> : never;
export interface Page<Item> {
  items: Item[];
  nextCursor: string | null;
}

/** What the service returns: the response, or for paginated lists one page of it. */
export type OperationResult<Op extends Operation> = Op['paginated'] extends true
  ? Page<ItemOf<Op['response']>>
  : z.output<Op['response']>;

export function defineOperation<const Op extends Operation>(operation: Op): Op {
  return operation;
}

const inputSchemaCache = new WeakMap<Operation, ObjectSchema>();

/** Builds (once) the merged input schema; a name used twice across params/query/body is a contract bug. */
export function inputSchemaOf<Op extends Operation>(operation: Op): InputSchemaOf<Op> {
  const cached = inputSchemaCache.get(operation);
  if (cached) return cached as unknown as InputSchemaOf<Op>;
  const shape: Record<string, z.core.$ZodType> = {};
  for (const part of [operation.params, operation.query, operation.body]) {
    if (!part) continue;
    for (const [key, schema] of Object.entries(part.shape)) {
      if (key in shape) throw new Error(`Operation ${operation.id}: input field "${key}" is defined twice`);
      shape[key] = schema;
    }
  }
  if (operation.idempotent) shape.idempotency_key = IdempotencyKeySchema.optional();
  const schema = z.object(shape);
  inputSchemaCache.set(operation, schema);
  return schema as unknown as InputSchemaOf<Op>;
}

/** The tRPC input schema: the merged input, which a caller may leave out when no field is required. */
export function trpcInputSchemaOf(operation: Operation): z.ZodType<unknown, unknown> {
  const schema = inputSchemaOf(operation);
  const required = Object.values(schema.shape).some((field) => field._zod.optin === undefined);
  return required ? schema : schema.prefault({});
}

const trpcOutputSchemaCache = new WeakMap<Operation, z.ZodType>();

/**
 * The tRPC output schema: the response, or for paginated lists a page wrapper around its items.
 * Built once per operation, so whatever keeps checked answers by schema finds the same one.
 */
export function trpcOutputSchemaOf(operation: Operation): z.ZodType {
  const cached = trpcOutputSchemaCache.get(operation);
  if (cached) return cached;
  let schema = operation.response;
  if (operation.paginated) {
    const response = operation.response;
    if (!(response instanceof z.ZodArray))
      throw new Error(`Operation ${operation.id}: paginated needs an array`);
    schema = z.object({ items: response, nextCursor: z.string().nullable() });
  }
  trpcOutputSchemaCache.set(operation, schema);
  return schema;
}

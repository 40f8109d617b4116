/**
 * The building blocks of the generated router type (generated/router.ts), in the types generated
 * from openapi/openapi.yaml: a consumer of this package type-checks against these few files, never
 * against the server's code.
 */
import type { TRPC_ERROR_CODE_KEY, TRPC_ERROR_CODE_NUMBER } from '@trpc/server';
import type { components } from './generated/openapi.js';

/** What every tRPC error carries besides tRPC's own fields: the REST problem's `code` and details. */
export interface TrpcProblemData {
  appCode: components['schemas']['ErrorCode'];
  errors?: components['schemas']['FieldError'][];
  next_slots?: components['schemas']['SlotHint'][];
}

/** The error envelope's shape as the server's error formatter writes it (`error.data` on the client). */
export interface TrpcErrorShape {
  code: TRPC_ERROR_CODE_NUMBER;
  message: string;
  data: TrpcProblemData & {
    code: TRPC_ERROR_CODE_KEY;
    httpStatus: number;
    path: string | undefined;
  };
}

/** The root types of the router: a client only reads the error shape and the transformer. */
export interface TrpcRootTypes {
  ctx: object;
  meta: object;
  errorShape: TrpcErrorShape;
  transformer: false;
}

/** A procedure's input as one object: path parameters, query and body merged, as the server takes it. */
type Merged<Parts> = { [Key in keyof Parts]: Parts[Key] };
/** A procedure whose input has no required field can be called with no argument. */
export type ProcedureInput<Parts> =
  Record<never, never> extends Parts ? Merged<Parts> | undefined : Merged<Parts>;

/** The input field that makes a retry of an idempotent mutation safe (REST: the `Idempotency-Key` header). */
export interface IdempotencyKeyInput {
  idempotency_key?: string;
}

/** Paginated lists answer one page on tRPC; REST answers the items with the next page in `Link`. */
export interface Page<Items> {
  items: Items;
  nextCursor: string | null;
}

/** The parts of an operation in the types openapi-typescript generates (`operations['mentors.get']`). */
interface GeneratedOperation {
  parameters: { path?: unknown; query?: unknown };
  requestBody?: unknown;
  responses: object;
}
export type PathOf<Op extends GeneratedOperation> = NonNullable<Op['parameters']['path']>;
export type QueryOf<Op extends GeneratedOperation> = NonNullable<Op['parameters']['query']>;
export type JsonBodyOf<Op extends GeneratedOperation> =
  NonNullable<Op['requestBody']> extends { content: { 'application/json': infer Body } } ? Body : never;
export type JsonAnswerOf<
  Op extends GeneratedOperation,
  Status extends keyof Op['responses'],
> = Op['responses'][Status] extends { content: { 'application/json': infer Body } } ? Body : never;

/** The answer of an operation whose success is a document of another media type (an iCalendar file). */
export type DocumentAnswerOf<
  Op extends GeneratedOperation,
  Status extends keyof Op['responses'],
  MediaType extends string,
> = Op['responses'][Status] extends { content: { [Type in MediaType]: infer Body } } ? Body : never;

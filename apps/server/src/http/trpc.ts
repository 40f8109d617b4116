import {
  type ErrorCode,
  errorCatalogue,
  type Operation,
  type OperationCallInput,
  type OperationResult,
  type Operations,
  operations,
  trpcInputSchemaOf,
  trpcOutputSchemaOf,
} from '@mentor-scheduling/contracts';
import {
  initTRPC,
  type TRPC_ERROR_CODE_KEY,
  TRPCError,
  type TRPCMutationProcedure,
  type TRPCQueryProcedure,
} from '@trpc/server';
import type { z } from 'zod';
import { AppError, databaseErrorOf } from '../services/errors.js';
import { authorize, type Handlers, handlers, type ServiceContext } from '../services/index.js';
import { hasIssues, type ProblemParts, problemPartsOf } from './problem.js';
import type { SettledCall } from './trpc-mutations.js';

export interface TrpcContext {
  services: ServiceContext;
  requestId: string;
  /** A mutation that already ran for this request and failed (trpc-mutations.ts): answered, not run again */
  settled?: SettledCall | undefined;
}

const trpcCodeByStatus: Record<number, TRPC_ERROR_CODE_KEY> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_SUPPORTED',
  408: 'TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_CONTENT',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
};

/** Extra error data every tRPC error carries: the same `code` (and field errors) as the REST problem. */
export interface TrpcProblemData {
  appCode: ErrorCode;
  errors?: { path: string; message: string }[];
  next_slots?: { start_time: string; end_time: string; mentor_id: number }[];
}

/** Errors tRPC raises itself (unknown procedure, bad JSON, …) in the API's own codes. */
const appCodeByTrpcCode: Partial<Record<TRPC_ERROR_CODE_KEY, ErrorCode>> = {
  BAD_REQUEST: 'invalid_request',
  NOT_FOUND: 'route_not_found',
  METHOD_NOT_SUPPORTED: 'method_not_allowed',
  PAYLOAD_TOO_LARGE: 'payload_too_large',
  UNSUPPORTED_MEDIA_TYPE: 'unsupported_media_type',
  TOO_MANY_REQUESTS: 'rate_limited',
};

export function problemPartsOfTrpc(error: TRPCError): ProblemParts {
  // Output validation failures also carry issues: they are our bugs, never the caller's input.
  if (error.code === 'INTERNAL_SERVER_ERROR') return problemPartsOf(undefined);
  if (error.cause instanceof SyntaxError) {
    return { code: 'malformed_json' as const, detail: 'The input is not valid JSON' };
  }
  if (error.cause instanceof AppError || hasIssues(error.cause)) return problemPartsOf(error.cause);
  // tRPC's own refusals (`connectionParams` of the wrong shape, an unknown procedure) may carry a
  // plain Error as cause: they are about the request, never our bug, whatever that cause says.
  return { code: appCodeByTrpcCode[error.code] ?? 'invalid_request', detail: error.message };
}

const t = initTRPC.context<TrpcContext>().create({
  isDev: false,
  errorFormatter({ shape, error }) {
    const parts = problemPartsOfTrpc(error);
    const problemData: TrpcProblemData = {
      appCode: parts.code,
      ...(parts.errors ? { errors: parts.errors } : {}),
      ...(parts.next_slots ? { next_slots: parts.next_slots } : {}),
    };
    return {
      ...shape,
      message: parts.detail,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        ...problemData,
      },
    };
  },
});

type ServiceHandler = (ctx: ServiceContext, input: unknown) => unknown;

/**
 * What a service or the database threw, as tRPC should carry it: a refusal (or a busy or failing
 * database) as the tRPC error of its HTTP status; anything else unchanged, a bug tRPC answers 500.
 */
export function asTrpcError(error: unknown): unknown {
  const appError = error instanceof AppError ? error : databaseErrorOf(error);
  return appError ? trpcErrorOf(appError) : error;
}

/** A refusal of the service as the tRPC error of the same HTTP status, keeping the app error as cause. */
export function trpcErrorOf(error: AppError): TRPCError {
  const status = errorCatalogue[error.code].status;
  // A status tRPC has no code for (414, 431) is still the caller's to mend, never our bug.
  const code = trpcCodeByStatus[status] ?? (status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR');
  return new TRPCError({ code, message: error.detail, cause: error });
}

/**
 * Checks every answer against the contract; an answer the service shares between requests (kept
 * answers are frozen, see services/answer-cache.ts) is checked once and its checked form reused.
 */
function outputParserOf(schema: z.ZodType): (value: unknown) => unknown {
  const checkedShared = new WeakMap<object, unknown>();
  return (value) => {
    if (typeof value !== 'object' || value === null || !Object.isFrozen(value)) return schema.parse(value);
    if (!checkedShared.has(value)) checkedShared.set(value, schema.parse(value));
    return checkedShared.get(value);
  };
}

function procedureOf(operation: Operation, handler: ServiceHandler) {
  const takesInput = Boolean(operation.params || operation.query || operation.body);
  // Access is decided before the input is even parsed, as on REST.
  const authorized = t.procedure.use(({ ctx, next }) => {
    try {
      authorize(operation, ctx.services.actor);
    } catch (error) {
      throw error instanceof AppError ? trpcErrorOf(error) : error;
    }
    return next();
  });
  const output = outputParserOf(trpcOutputSchemaOf(operation));
  const base = takesInput
    ? authorized.input(trpcInputSchemaOf(operation)).output(output)
    : authorized.output(output);
  const resolve = async ({ ctx, input }: { ctx: TrpcContext; input: unknown }) => {
    try {
      if (ctx.settled) throw ctx.settled.error;
      return await handler(ctx.services, input);
    } catch (error) {
      throw asTrpcError(error);
    }
  };
  return operation.trpc === 'query' ? base.query(resolve) : base.mutation(resolve);
}

type ProcedureOf<Op> = Op extends Operation
  ? Op['trpc'] extends 'query'
    ? TRPCQueryProcedure<{ input: OperationCallInput<Op>; output: OperationResult<Op>; meta: object }>
    : TRPCMutationProcedure<{ input: OperationCallInput<Op>; output: OperationResult<Op>; meta: object }>
  : never;
type TrpcProcedures<Namespace extends keyof Operations> = {
  [Name in keyof Operations[Namespace] as Operations[Namespace][Name] extends { trpc: null }
    ? never
    : Name]: ProcedureOf<Operations[Namespace][Name]>;
};
type RouterRecord = {
  [Namespace in keyof Operations as keyof TrpcProcedures<Namespace> extends never
    ? never
    : Namespace]: TrpcProcedures<Namespace>;
};

/** The tRPC router, derived from the operation table: one procedure per operation that opts in. */
function buildRouterRecord(implementations: Handlers): RouterRecord {
  const record: Record<string, Record<string, unknown>> = {};
  for (const [namespace, group] of Object.entries(operations)) {
    for (const [name, operation] of Object.entries(group) as [string, Operation][]) {
      if (operation.trpc === null) continue;
      const handler = (implementations as unknown as Record<string, Record<string, ServiceHandler>>)[
        namespace
      ]?.[name];
      if (!handler) throw new Error(`No handler for ${operation.id}`);
      record[namespace] = { ...record[namespace], [name]: procedureOf(operation, handler) };
    }
  }
  return record as unknown as RouterRecord;
}

export const appRouter = t.router(buildRouterRecord(handlers));
export type AppRouter = typeof appRouter;

/**
 * Generated from the operation table of packages/contracts by `npm run openapi`
 * (packages/contracts/scripts/write-client-router.ts). Do not edit by hand.
 *
 * The server's tRPC router as a type, in the types generated from openapi/openapi.yaml: what
 * `createTRPCClient<AppRouter>` needs, without the server's code.
 */
import type { TRPCBuiltRouter, TRPCMutationProcedure, TRPCQueryProcedure } from '@trpc/server';
import type {
  DocumentAnswerOf,
  IdempotencyKeyInput,
  JsonAnswerOf,
  JsonBodyOf,
  Page,
  PathOf,
  ProcedureInput,
  QueryOf,
  TrpcRootTypes,
} from '../trpc-types.js';
import type { operations } from './openapi.js';

export type AppRouter = TRPCBuiltRouter<TrpcRootTypes, AppRouterRecord>;

// A type alias, not an interface: only object literal types meet TRPCRouterRecord's index signature.
export type AppRouterRecord = {
  auth: {
    /** Register as a student */
    register: TRPCMutationProcedure<{
      input: ProcedureInput<JsonBodyOf<operations['auth.register']>>;
      output: JsonAnswerOf<operations['auth.register'], 201>;
      meta: object;
    }>;
    /** Log in with email and password */
    login: TRPCMutationProcedure<{
      input: ProcedureInput<JsonBodyOf<operations['auth.login']>>;
      output: JsonAnswerOf<operations['auth.login'], 200>;
      meta: object;
    }>;
    /** Revoke the token of this request */
    logout: TRPCMutationProcedure<{
      input: undefined;
      output: JsonAnswerOf<operations['auth.logout'], 200>;
      meta: object;
    }>;
    /** Log out everywhere */
    logoutAll: TRPCMutationProcedure<{
      input: undefined;
      output: JsonAnswerOf<operations['auth.logoutAll'], 200>;
      meta: object;
    }>;
    /** Change the password */
    changePassword: TRPCMutationProcedure<{
      input: ProcedureInput<JsonBodyOf<operations['auth.changePassword']>>;
      output: JsonAnswerOf<operations['auth.changePassword'], 200>;
      meta: object;
    }>;
    /** The account of this request */
    me: TRPCQueryProcedure<{
      input: undefined;
      output: JsonAnswerOf<operations['auth.me'], 200>;
      meta: object;
    }>;
    /** Create a mentor’s or an admin’s account */
    createAccount: TRPCMutationProcedure<{
      input: ProcedureInput<JsonBodyOf<operations['auth.createAccount']>>;
      output: JsonAnswerOf<operations['auth.createAccount'], 201>;
      meta: object;
    }>;
    /** Revoke every token of an account */
    revokeTokens: TRPCMutationProcedure<{
      input: ProcedureInput<PathOf<operations['auth.revokeTokens']>>;
      output: JsonAnswerOf<operations['auth.revokeTokens'], 200>;
      meta: object;
    }>;
  };
  areas: {
    /** List the areas of expertise */
    list: TRPCQueryProcedure<{
      input: undefined;
      output: JsonAnswerOf<operations['areas.list'], 200>;
      meta: object;
    }>;
  };
  pricing: {
    /** The price table */
    get: TRPCQueryProcedure<{
      input: undefined;
      output: JsonAnswerOf<operations['pricing.get'], 200>;
      meta: object;
    }>;
  };
  mentors: {
    /** List mentors, optionally by area of expertise */
    list: TRPCQueryProcedure<{
      input: ProcedureInput<QueryOf<operations['mentors.list']>>;
      output: Page<JsonAnswerOf<operations['mentors.list'], 200>>;
      meta: object;
    }>;
    /** One mentor */
    get: TRPCQueryProcedure<{
      input: ProcedureInput<PathOf<operations['mentors.get']> & QueryOf<operations['mentors.get']>>;
      output: JsonAnswerOf<operations['mentors.get'], 200>;
      meta: object;
    }>;
    /** Open slots of one mentor */
    slots: TRPCQueryProcedure<{
      input: ProcedureInput<PathOf<operations['mentors.slots']> & QueryOf<operations['mentors.slots']>>;
      output: JsonAnswerOf<operations['mentors.slots'], 200>;
      meta: object;
    }>;
    /** Add a mentor */
    create: TRPCMutationProcedure<{
      input: ProcedureInput<JsonBodyOf<operations['mentors.create']>>;
      output: JsonAnswerOf<operations['mentors.create'], 201>;
      meta: object;
    }>;
    /** Change a mentor */
    update: TRPCMutationProcedure<{
      input: ProcedureInput<PathOf<operations['mentors.update']> & JsonBodyOf<operations['mentors.update']>>;
      output: JsonAnswerOf<operations['mentors.update'], 200>;
      meta: object;
    }>;
    /** A mentor’s weekly windows and date overrides */
    availability: TRPCQueryProcedure<{
      input: ProcedureInput<PathOf<operations['mentors.availability']>>;
      output: JsonAnswerOf<operations['mentors.availability'], 200>;
      meta: object;
    }>;
    /** Replace a mentor’s weekly windows and date overrides */
    setAvailability: TRPCMutationProcedure<{
      input: ProcedureInput<PathOf<operations['mentors.setAvailability']> & JsonBodyOf<operations['mentors.setAvailability']>>;
      output: JsonAnswerOf<operations['mentors.setAvailability'], 200>;
      meta: object;
    }>;
  };
  slots: {
    /** Open slots of an area, across its mentors */
    search: TRPCQueryProcedure<{
      input: ProcedureInput<QueryOf<operations['slots.search']>>;
      output: JsonAnswerOf<operations['slots.search'], 200>;
      meta: object;
    }>;
  };
  students: {
    /** List students */
    list: TRPCQueryProcedure<{
      input: ProcedureInput<QueryOf<operations['students.list']>>;
      output: Page<JsonAnswerOf<operations['students.list'], 200>>;
      meta: object;
    }>;
    /** Add a student */
    create: TRPCMutationProcedure<{
      input: ProcedureInput<JsonBodyOf<operations['students.create']>>;
      output: JsonAnswerOf<operations['students.create'], 201>;
      meta: object;
    }>;
    /** One student */
    get: TRPCQueryProcedure<{
      input: ProcedureInput<PathOf<operations['students.get']>>;
      output: JsonAnswerOf<operations['students.get'], 200>;
      meta: object;
    }>;
    /** Change a student */
    update: TRPCMutationProcedure<{
      input: ProcedureInput<PathOf<operations['students.update']> & JsonBodyOf<operations['students.update']>>;
      output: JsonAnswerOf<operations['students.update'], 200>;
      meta: object;
    }>;
    /** Everything held about a student */
    export: TRPCQueryProcedure<{
      input: ProcedureInput<PathOf<operations['students.export']>>;
      output: JsonAnswerOf<operations['students.export'], 200>;
      meta: object;
    }>;
    /** Erase a student’s personal data */
    erase: TRPCMutationProcedure<{
      input: ProcedureInput<PathOf<operations['students.erase']>>;
      output: JsonAnswerOf<operations['students.erase'], 200>;
      meta: object;
    }>;
  };
  bookings: {
    /** Book a session */
    create: TRPCMutationProcedure<{
      input: ProcedureInput<JsonBodyOf<operations['bookings.create']> & IdempotencyKeyInput>;
      output: JsonAnswerOf<operations['bookings.create'], 201>;
      meta: object;
    }>;
    /** List bookings */
    list: TRPCQueryProcedure<{
      input: ProcedureInput<QueryOf<operations['bookings.list']>>;
      output: Page<JsonAnswerOf<operations['bookings.list'], 200>>;
      meta: object;
    }>;
    /** One booking */
    get: TRPCQueryProcedure<{
      input: ProcedureInput<PathOf<operations['bookings.get']>>;
      output: JsonAnswerOf<operations['bookings.get'], 200>;
      meta: object;
    }>;
    /** Cancel a booking */
    cancel: TRPCMutationProcedure<{
      input: ProcedureInput<PathOf<operations['bookings.cancel']> & JsonBodyOf<operations['bookings.cancel']>>;
      output: JsonAnswerOf<operations['bookings.cancel'], 200>;
      meta: object;
    }>;
    /** Move a booking to another slot */
    reschedule: TRPCMutationProcedure<{
      input: ProcedureInput<PathOf<operations['bookings.reschedule']> & JsonBodyOf<operations['bookings.reschedule']>>;
      output: JsonAnswerOf<operations['bookings.reschedule'], 200>;
      meta: object;
    }>;
    /** The recorded changes of a booking */
    history: TRPCQueryProcedure<{
      input: ProcedureInput<PathOf<operations['bookings.history']>>;
      output: JsonAnswerOf<operations['bookings.history'], 200>;
      meta: object;
    }>;
  };
  payments: {
    /** List payments, with totals */
    list: TRPCQueryProcedure<{
      input: ProcedureInput<QueryOf<operations['payments.list']>>;
      output: JsonAnswerOf<operations['payments.list'], 200>;
      meta: object;
    }>;
  };
  reports: {
    /** The business at a glance */
    dashboard: TRPCQueryProcedure<{
      input: ProcedureInput<QueryOf<operations['reports.dashboard']>>;
      output: JsonAnswerOf<operations['reports.dashboard'], 200>;
      meta: object;
    }>;
  };
  calendars: {
    /** One session as a calendar file */
    booking: TRPCQueryProcedure<{
      input: ProcedureInput<PathOf<operations['calendars.booking']>>;
      output: DocumentAnswerOf<operations['calendars.booking'], 200, 'text/calendar'>;
      meta: object;
    }>;
    /** Get a private calendar subscription URL */
    createFeed: TRPCMutationProcedure<{
      input: undefined;
      output: JsonAnswerOf<operations['calendars.createFeed'], 201>;
      meta: object;
    }>;
  };
  webhooks: {
    /** Subscribe an endpoint to booking events */
    create: TRPCMutationProcedure<{
      input: ProcedureInput<JsonBodyOf<operations['webhooks.create']>>;
      output: JsonAnswerOf<operations['webhooks.create'], 201>;
      meta: object;
    }>;
    /** List webhook endpoints */
    list: TRPCQueryProcedure<{
      input: undefined;
      output: JsonAnswerOf<operations['webhooks.list'], 200>;
      meta: object;
    }>;
    /** Remove a webhook endpoint */
    delete: TRPCMutationProcedure<{
      input: ProcedureInput<PathOf<operations['webhooks.delete']>>;
      output: JsonAnswerOf<operations['webhooks.delete'], 200>;
      meta: object;
    }>;
    /** Delivery attempts to a webhook endpoint */
    attempts: TRPCQueryProcedure<{
      input: ProcedureInput<PathOf<operations['webhooks.attempts']> & QueryOf<operations['webhooks.attempts']>>;
      output: Page<JsonAnswerOf<operations['webhooks.attempts'], 200>>;
      meta: object;
    }>;
  };
  outbox: {
    /** List outgoing messages (emails and webhooks) */
    list: TRPCQueryProcedure<{
      input: ProcedureInput<QueryOf<operations['outbox.list']>>;
      output: Page<JsonAnswerOf<operations['outbox.list'], 200>>;
      meta: object;
    }>;
    /** Send a failed message again */
    retry: TRPCMutationProcedure<{
      input: ProcedureInput<PathOf<operations['outbox.retry']>>;
      output: JsonAnswerOf<operations['outbox.retry'], 200>;
      meta: object;
    }>;
  };
  auditLog: {
    /** Changes made by admins and the operator */
    list: TRPCQueryProcedure<{
      input: ProcedureInput<QueryOf<operations['auditLog.list']>>;
      output: Page<JsonAnswerOf<operations['auditLog.list'], 200>>;
      meta: object;
    }>;
  };
};

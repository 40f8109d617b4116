import {
  type Operation,
  type OperationInput,
  type OperationResult,
  type Operations,
  operations,
} from '@mentor-scheduling/contracts';
import { listAuditLog, withAuditTrail } from './audit-log.js';
import {
  changePassword,
  createAccount,
  login,
  logout,
  logoutAll,
  me,
  register,
  revokeTokens,
} from './auth.js';
import {
  bookingHistory,
  cancelBooking,
  createBooking,
  getBooking,
  listBookings,
  rescheduleBooking,
} from './bookings.js';
import { bookingCalendar, calendarFeed, createCalendarFeed } from './calendars.js';
import { checkReadiness, getPricing, listAreas } from './catalogue.js';
import type { ServiceContext } from './context.js';
import {
  createMentor,
  getAvailability,
  getMentor,
  listMentors,
  mentorSlots,
  setAvailability,
  updateMentor,
} from './mentors.js';
import { listOutbox, retryDelivery } from './outbox-admin.js';
import { receiveStripeEvent } from './payment-events.js';
import { listPayments } from './payment-list.js';
import { dashboard } from './reports.js';
import { searchSlots } from './slots.js';
import { eraseStudent, exportStudent } from './student-data.js';
import { createStudent, getStudent, listStudents, updateStudent } from './students.js';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listWebhookAttempts,
  listWebhookEndpoints,
} from './webhook-endpoints.js';

export { authorize } from './access.js';
export { actorOf } from './auth.js';
export type { Actor, ServiceContext } from './context.js';
export { AppError } from './errors.js';

type Handler<Op extends Operation> = (
  ctx: ServiceContext,
  input: OperationInput<Op>,
) => Promise<OperationResult<Op>> | OperationResult<Op>;

/** One implementation per operation of the contract; REST and tRPC both call these. */
export type Handlers = {
  [Namespace in keyof Operations]: {
    [Name in keyof Operations[Namespace]]: Operations[Namespace][Name] extends infer Op extends Operation
      ? Handler<Op>
      : never;
  };
};

const startedAt = Date.now();

const implementations: Handlers = {
  health: {
    check: () => ({ status: 'ok', uptime_seconds: Math.round((Date.now() - startedAt) / 1000) }),
    ready: (ctx) => checkReadiness(ctx),
  },
  auth: {
    register,
    login,
    logout: (ctx) => logout(ctx),
    logoutAll: (ctx) => logoutAll(ctx),
    changePassword,
    me: (ctx) => me(ctx),
    createAccount,
    revokeTokens,
  },
  areas: { list: (ctx) => listAreas(ctx) },
  pricing: { get: (ctx) => getPricing(ctx) },
  mentors: {
    list: listMentors,
    get: getMentor,
    slots: mentorSlots,
    create: createMentor,
    update: updateMentor,
    availability: getAvailability,
    setAvailability,
  },
  slots: { search: searchSlots },
  students: {
    list: listStudents,
    create: createStudent,
    get: getStudent,
    update: updateStudent,
    export: exportStudent,
    erase: eraseStudent,
  },
  reports: { dashboard },
  bookings: {
    create: createBooking,
    list: listBookings,
    get: getBooking,
    cancel: cancelBooking,
    reschedule: rescheduleBooking,
    history: bookingHistory,
  },
  payments: { list: listPayments, stripeWebhook: receiveStripeEvent },
  calendars: { booking: bookingCalendar, createFeed: (ctx) => createCalendarFeed(ctx), feed: calendarFeed },
  webhooks: {
    create: createWebhookEndpoint,
    list: (ctx) => listWebhookEndpoints(ctx),
    delete: deleteWebhookEndpoint,
    attempts: listWebhookAttempts,
  },
  outbox: { list: listOutbox, retry: retryDelivery },
  auditLog: { list: listAuditLog },
};

/** The implementations, each change by an admin (and every erasure) recorded in the audit log. */
function withAuditTrails(implementations: Handlers): Handlers {
  const recorded: Record<string, Record<string, unknown>> = {};
  for (const [namespace, group] of Object.entries(operations)) {
    const own = implementations[namespace as keyof Handlers] as unknown as Record<
      string,
      (ctx: ServiceContext, input: never) => unknown
    >;
    recorded[namespace] = Object.fromEntries(
      Object.entries(group).map(([name, operation]) => [
        name,
        withAuditTrail(operation as Operation, own[name] as (ctx: ServiceContext, input: never) => unknown),
      ]),
    );
  }
  return recorded as unknown as Handlers;
}

export const handlers: Handlers = withAuditTrails(implementations);

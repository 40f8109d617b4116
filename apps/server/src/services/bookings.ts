import {
  type Booking,
  type OperationInput,
  type Operations,
  type Page,
  type Payment,
  type SlotHint,
  statusOf,
} from '@mentor-scheduling/contracts';
import type { Knex } from 'knex';
import { instantFromDb } from '../db/connection.js';
import { rankMentors } from '../domain/assignment.js';
import { type BookingStatus, statusAt } from '../domain/booking-status.js';
import { majorToMinor, minorToMajor, priceOf } from '../domain/pricing.js';
import { type SlotRefusal, startRefusal } from '../domain/slots.js';
import { DAY_MS, MINUTE_MS, toIsoUtc } from '../domain/time.js';
import {
  isBoundByCutoff,
  ownBookingsFilter,
  requireParticipant,
  studentIdFor,
  unknownRecord,
} from './access.js';
import { withClockStopped } from './answer-cache.js';
import { auditRowOf } from './audit-log.js';
import { lockMentors, overlapPartyOf, releaseLapsedHolds } from './booking-guard.js';
import { type BookingCompletion, type BookingWrites, inBookingTransaction } from './booking-writes.js';
import type { ServiceContext } from './context.js';
import { AppError, invalidInput } from './errors.js';
import {
  forgetAnswer,
  type IdempotentRequest,
  idempotentRequestOf,
  isKeyCollision,
  replay,
  restoreAnswerBody,
  type StoredAnswer,
  storeAnswer,
  storedAnswerOf,
} from './idempotency.js';
import { decodeCursor, encodeCursor, instantOf } from './inputs.js';
import { type BookingEventPayload, recordBookingEvent } from './outbox.js';
import {
  afterCancel,
  type BookingPaymentColumns,
  holdExpiryFor,
  openCheckout,
  paymentUnavailable,
  paymentViewOf,
  releaseUnstartedHold,
  settlePaymentOnCancel,
  withPayment,
} from './payments.js';
import { loadSchedules, type MentorScheduleSource, openSlotsOf } from './schedules.js';
import { loadMentor, type Refusal, refusalFor, scheduleOf } from './slot-rules.js';

type CreateInput = OperationInput<Operations['bookings']['create']>;

interface BookingRow extends BookingPaymentColumns {
  id: number;
  student_id: number;
  mentor_id: number;
  student_name: string;
  mentor_name: string;
  area_name: string | null;
  start_at: unknown;
  end_at: unknown;
  duration_minutes: Booking['duration'];
  price_minor: number;
  currency: string;
  status: BookingStatus;
  cancellation_reason: string | null;
  created_at: unknown;
  updated_at: unknown;
}

const NEXT_SLOT_HINTS = 3;
const HINT_WINDOW_DAYS = 7;

function bookingQuery(db: Knex | Knex.Transaction) {
  return withPayment(db('bookings'))
    .join('students', 'students.id', 'bookings.student_id')
    .join('mentors', 'mentors.id', 'bookings.mentor_id')
    .leftJoin('areas', 'areas.id', 'bookings.area_id')
    .select(
      'bookings.id',
      'bookings.student_id',
      'bookings.mentor_id',
      'students.name as student_name',
      'mentors.name as mentor_name',
      'areas.name as area_name',
      'bookings.start_at',
      'bookings.end_at',
      'bookings.duration_minutes',
      'bookings.price_minor',
      'bookings.currency',
      'bookings.status',
      'bookings.cancellation_reason',
      'bookings.created_at',
      'bookings.updated_at',
    );
}

/** A booking as the API shows it at `now`, the instant that decides whether it has completed. */
function present(row: BookingRow, now: number): Booking {
  const end = instantFromDb(row.end_at);
  const holdExpiresAt = row.hold_expires_at === null ? null : instantFromDb(row.hold_expires_at);
  return {
    id: row.id,
    student_id: row.student_id,
    mentor_id: row.mentor_id,
    student_name: row.student_name,
    mentor_name: row.mentor_name,
    area_of_expertise: row.area_name,
    start_time: toIsoUtc(instantFromDb(row.start_at)),
    end_time: toIsoUtc(end),
    duration: row.duration_minutes,
    cost: minorToMajor(row.price_minor),
    currency: row.currency,
    status: statusAt(row.status, end, now, holdExpiresAt),
    cancellation_reason: row.cancellation_reason,
    payment: paymentViewOf(row, now),
    created_at: toIsoUtc(instantFromDb(row.created_at)),
    updated_at: toIsoUtc(instantFromDb(row.updated_at)),
  };
}

async function bookingById(ctx: ServiceContext, id: number): Promise<Booking> {
  const row = await bookingQuery(ctx.db.knex).where('bookings.id', id).first();
  if (!row) throw unknownRecord(ctx, 'Booking', id);
  return present(row, ctx.now());
}

/**
 * Narrows a query of bookings to those that read `status` at `now` (see `statusAt`): a confirmed
 * session counts as completed from its end on, and no longer as confirmed.
 */
function whereStatusReads(query: Knex.QueryBuilder, status: Booking['status'], now: number): void {
  const ended = new Date(now);
  if (status === 'confirmed') {
    query.where('bookings.status', 'confirmed').where('bookings.end_at', '>', ended);
  } else if (status === 'completed') {
    query.where((completed) =>
      completed
        .where('bookings.status', 'completed')
        .orWhere((over) => over.where('bookings.status', 'confirmed').where('bookings.end_at', '<=', ended)),
    );
  } else if (status === 'pending_payment') {
    query.where('bookings.status', 'pending_payment').where('bookings.hold_expires_at', '>', ended);
  } else if (status === 'expired') {
    query.where((expired) =>
      expired
        .where('bookings.status', 'expired')
        .orWhere((lapsed) =>
          lapsed.where('bookings.status', 'pending_payment').where('bookings.hold_expires_at', '<=', ended),
        ),
    );
  } else {
    query.where('bookings.status', status);
  }
}

const refusalMessages: Record<SlotRefusal, string> = {
  in_the_past: 'start_time is in the past',
  too_soon: 'start_time is inside the minimum notice',
  beyond_horizon: 'start_time is beyond the booking horizon',
  off_grid: 'start_time is not on the slot grid',
  outside_availability: 'The session is outside the mentor’s availability',
  slot_taken: 'The mentor already has a session at that time',
};

function refusalError(refusal: Refusal, ctx: ServiceContext): AppError {
  if (refusal === 'daily_limit_reached') {
    return new AppError('daily_limit_reached', 'The mentor has no more sessions left on that day');
  }
  const { minNoticeMinutes, horizonDays, gridMinutes } = ctx.config.slotPolicy;
  const details: Partial<Record<SlotRefusal, string>> = {
    too_soon: `${refusalMessages.too_soon} (${minNoticeMinutes} minutes)`,
    beyond_horizon: `${refusalMessages.beyond_horizon} (${horizonDays} days)`,
    off_grid: `${refusalMessages.off_grid} (every ${gridMinutes} minutes in the mentor’s zone)`,
  };
  return new AppError(refusal, details[refusal] ?? refusalMessages[refusal]);
}

class SlotConflict extends Error {
  constructor(
    readonly code: 'slot_taken' | 'no_mentor_available',
    readonly detail: string,
    readonly mentors: MentorScheduleSource[],
  ) {
    super(detail);
  }
}

interface Plan {
  start: number;
  end: number;
  durationMinutes: Booking['duration'];
  studentId: number;
  areaId: number | null;
  priceMinor: number;
  /** The booking being moved, whose own time never counts against it */
  movingBookingId?: number;
}

type Draft = Omit<Plan, 'priceMinor'>;
type Area = { id: number; name: string };

/** Inserts the booking: held for payment when payments are on, else confirmed at once. */
async function insertNewBooking(
  writes: BookingWrites,
  ctx: ServiceContext,
  plan: Plan,
  mentor: { id: number; name: string },
): Promise<BookingMade> {
  const createdAt = ctx.now();
  const holdExpiresAt = ctx.payments ? holdExpiryFor(createdAt, holdMinutesOf(ctx), plan.start) : null;
  const bookingId = await writes.insertBooking({
    studentId: plan.studentId,
    mentorId: mentor.id,
    areaId: plan.areaId,
    start: plan.start,
    end: plan.end,
    durationMinutes: plan.durationMinutes,
    priceMinor: plan.priceMinor,
    currency: ctx.config.pricing.currency,
    status: holdExpiresAt === null ? 'confirmed' : 'pending_payment',
    holdExpiresAt,
    createdAt,
  });
  return {
    bookingId,
    mentorId: mentor.id,
    mentorName: mentor.name,
    plan,
    createdAt,
    holdExpiresAt,
    lapsedHoldsReleased: 0,
  };
}

/** The rows a new booking writes besides its own: its pending payment (payments on) and its events. */
function completionOf(ctx: ServiceContext, made: BookingMade): Omit<BookingCompletion, 'answer'> {
  const { plan, holdExpiresAt } = made;
  const currency = ctx.config.pricing.currency;
  const payload: BookingEventPayload = {
    booking_id: made.bookingId,
    student_id: plan.studentId,
    mentor_id: made.mentorId,
    area_id: plan.areaId,
    start: plan.start,
    end: plan.end,
    duration_minutes: plan.durationMinutes,
    price_minor: plan.priceMinor,
    currency,
    status: holdExpiresAt === null ? 'confirmed' : 'pending_payment',
    created_at: made.createdAt,
    sequence: 0,
    previous: null,
    reason: null,
    refund_minor: null,
    was_confirmed: false,
  };
  return {
    bookingId: made.bookingId,
    at: made.createdAt,
    audit: ctx.actor.role === 'admin' ? auditOfBookingMade(ctx, made, payload) : null,
    payment:
      holdExpiresAt === null
        ? null
        : { id: made.bookingId, priceMinor: plan.priceMinor, currency, holdExpiresAt },
    // A session that needs no payment is confirmed as it is made: both events at once.
    events:
      holdExpiresAt === null
        ? [
            { type: 'booking.created', payload },
            { type: 'booking.confirmed', payload },
          ]
        : [{ type: 'booking.created', payload }],
  };
}

/** The audit entry of a session an admin booked on a student's behalf: the booking as it was made. */
function auditOfBookingMade(ctx: ServiceContext, made: BookingMade, payload: BookingEventPayload) {
  const iso = (instant: number | null) => (instant === null ? null : toIsoUtc(instant));
  return auditRowOf(
    ctx,
    {
      operation: 'bookings.create',
      targetType: 'booking',
      targetId: made.bookingId,
      studentId: payload.student_id,
      before: null,
      after: {
        id: made.bookingId,
        student_id: payload.student_id,
        mentor_id: payload.mentor_id,
        area_id: payload.area_id,
        start_at: iso(payload.start),
        end_at: iso(payload.end),
        duration_minutes: payload.duration_minutes,
        price_minor: payload.price_minor,
        currency: payload.currency,
        status: payload.status,
        hold_expires_at: iso(made.holdExpiresAt),
        created_at: iso(made.createdAt),
      },
    },
    made.createdAt,
  );
}

function holdMinutesOf(ctx: ServiceContext): number {
  return ctx.config.payments.provider === 'none' ? 0 : ctx.config.payments.holdMinutes;
}

/** A booking just made, as the API shows it, without reading it back. */
function presentMade(
  ctx: ServiceContext,
  made: BookingMade,
  names: { area: string | null; student: string },
): Booking {
  const held = made.holdExpiresAt !== null;
  return present(
    {
      id: made.bookingId,
      student_id: made.plan.studentId,
      mentor_id: made.mentorId,
      student_name: names.student,
      mentor_name: made.mentorName,
      area_name: names.area,
      start_at: made.plan.start,
      end_at: made.plan.end,
      duration_minutes: made.plan.durationMinutes,
      price_minor: made.plan.priceMinor,
      currency: ctx.config.pricing.currency,
      status: held ? 'pending_payment' : 'confirmed',
      cancellation_reason: null,
      created_at: made.createdAt,
      updated_at: made.createdAt,
      hold_expires_at: made.holdExpiresAt,
      payment_id: held ? 0 : null,
      payment_provider: held ? (ctx.payments?.name ?? null) : null,
      payment_status: held ? 'pending' : null,
      payment_amount_minor: held ? made.plan.priceMinor : null,
      payment_currency: held ? ctx.config.pricing.currency : null,
      payment_checkout_url: null,
      payment_paid_at: null,
      payment_refund_status: null,
      payment_refund_amount_minor: null,
      payment_refund_requested_at: null,
      payment_refunded_at: null,
    },
    ctx.now(),
  );
}

function studentBusy(): AppError {
  return new AppError('student_busy', 'The student already has a session at that time');
}

/** Maps a database overlap refusal to the API's conflict, or rethrows anything else. */
function rethrowOverlap(error: unknown, mentors: MentorScheduleSource[]): never {
  const party = overlapPartyOf(error);
  if (party === 'mentor') throw new SlotConflict('slot_taken', refusalMessages.slot_taken, mentors);
  if (party === 'student') throw studentBusy();
  throw error;
}

interface BookingMade {
  bookingId: number;
  mentorId: number;
  mentorName: string;
  plan: Plan;
  createdAt: number;
  /** Until when the booking holds its slot for payment; null when payments are off (confirmed at once) */
  holdExpiresAt: number | null;
  /** Lapsed holds of the parties that the booking's transaction wrote down as expired */
  lapsedHoldsReleased: number;
}

/**
 * Books a named mentor. The mentor is read once, inside the transaction, where the offered area and
 * the price of its tier are checked before the slot. The student's own overlap is left to the
 * database's guard (trigger or exclusion constraint), which refuses the insert as `student_busy`.
 */
async function bookNamedMentor(
  writes: BookingWrites,
  ctx: ServiceContext,
  draft: Draft,
  request: { mentorId: number; area: Area | undefined; sentCost: number | undefined },
): Promise<BookingMade> {
  const lapsedHoldsReleased = await writes.guard(draft, {
    mentorIds: [request.mentorId],
    studentId: draft.studentId,
  });
  const { mentor, schedule } = await writes.mentorWithSchedule(
    request.mentorId,
    draft.start - DAY_MS,
    draft.end + DAY_MS,
  );
  if (request.area && !(await writes.offersArea(mentor.id, request.area.id))) {
    throw new AppError('area_not_offered', `Mentor ${mentor.id} does not offer ${request.area.name}`);
  }
  const plan: Plan = {
    ...draft,
    priceMinor: priceFor(ctx, draft.durationMinutes, mentor.is_premium, request.sentCost),
  };
  const refusal = refusalFor(schedule, plan, ctx.now(), ctx.config.slotPolicy);
  if (refusal === 'slot_taken') throw new SlotConflict('slot_taken', refusalMessages.slot_taken, [mentor]);
  if (refusal) throw refusalError(refusal, ctx);
  const made = await insertNewBooking(writes, ctx, plan, mentor).catch((error) =>
    rethrowOverlap(error, [mentor]),
  );
  return { ...made, lapsedHoldsReleased };
}

/**
 * Assigns a mentor of the area who is free for the slot, in the order PRODUCT.md sets (back to back,
 * then fewest sessions that day, then lowest id). When the database refuses the first choice because
 * a concurrent request took it, the next one in the same order is tried.
 */
async function bookAssignedMentor(
  writes: BookingWrites,
  ctx: ServiceContext,
  area: Area,
  plan: Plan,
  premium: boolean,
): Promise<BookingMade> {
  const candidates = await writes.candidates(area.id, premium);
  const mentorIds = candidates.map((candidate) => candidate.id);
  const lapsedHoldsReleased = await writes.guard(plan, { mentorIds, studentId: plan.studentId });
  // The start is judged first, by the rule a named mentor's booking follows: judged per mentor, an
  // off-grid start made every mentor "not free" and read as no_mentor_available. An empty pool has
  // no zone to read the grid in; the platform's stands in for it.
  const zones =
    candidates.length > 0 ? candidates.map((candidate) => candidate.timezone) : [ctx.config.defaultTimezone];
  const refusal = startRefusal(plan.start, {
    now: ctx.now(),
    policy: ctx.config.slotPolicy,
    timezones: zones,
  });
  if (refusal) throw refusalError(refusal, ctx);
  const schedules = await writes.schedules(candidates, plan.start - DAY_MS, plan.end + DAY_MS);
  // Checked here although the database guards it too: a busy student is the answer even when no mentor is free.
  if (await writes.studentHasSessionDuring(plan.studentId, plan)) throw studentBusy();
  const free = [...schedules.values()].filter(
    (schedule) => refusalFor(schedule, plan, ctx.now(), ctx.config.slotPolicy) === null,
  );
  const ranked = rankMentors(
    free.map((schedule) => ({
      mentorId: schedule.mentorId,
      timezone: schedule.timezone,
      sessions: schedule.busy,
    })),
    { start: plan.start, end: plan.end },
  );
  for (const mentorId of ranked) {
    const mentor = {
      id: mentorId,
      name: candidates.find((candidate) => candidate.id === mentorId)?.name ?? '',
    };
    try {
      // A savepoint per attempt: on PostgreSQL a refused insert would otherwise abort the transaction.
      const made = await writes.attempt((attempt) => insertNewBooking(attempt, ctx, plan, mentor));
      return { ...made, lapsedHoldsReleased };
    } catch (error) {
      if (overlapPartyOf(error) !== 'mentor') rethrowOverlap(error, candidates);
    }
  }
  throw new SlotConflict(
    'no_mentor_available',
    `No ${premium ? 'premium' : 'standard'} mentor of ${area.name} is free for that slot`,
    candidates,
  );
}

/** The next open slots after a refused start, offered with a 409 so the client can retry at once. */
async function nextSlotHints(
  ctx: ServiceContext,
  mentors: MentorScheduleSource[],
  plan: Draft,
): Promise<SlotHint[]> {
  const from = Math.max(plan.start, ctx.now());
  const to = from + HINT_WINDOW_DAYS * DAY_MS;
  const schedules = await loadSchedules(ctx.db.knex, mentors, from, to, ctx.now());
  const hints: SlotHint[] = [];
  for (const schedule of schedules.values()) {
    const starts = openSlotsOf(schedule, {
      durationMinutes: plan.durationMinutes,
      from,
      to,
      now: ctx.now(),
      policy: ctx.config.slotPolicy,
    });
    for (const start of starts.slice(0, NEXT_SLOT_HINTS)) {
      hints.push({
        start_time: toIsoUtc(start),
        end_time: toIsoUtc(start + plan.durationMinutes * MINUTE_MS),
        mentor_id: schedule.mentorId,
      });
    }
  }
  return hints
    .sort((a, b) => a.start_time.localeCompare(b.start_time) || a.mentor_id - b.mentor_id)
    .slice(0, NEXT_SLOT_HINTS);
}

/** Runs a booking write; a slot conflict comes back as a 409 carrying the next open slots. */
async function withSlotHints<T>(ctx: ServiceContext, plan: Draft, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!(error instanceof SlotConflict)) throw error;
    throw new AppError(error.code, error.detail, {
      next_slots: await nextSlotHints(ctx, error.mentors, plan),
    });
  }
}

/** Start, end and price of a requested session, checked against what the client sent. */
function timesOf(
  ctx: ServiceContext,
  input: { start_time: string; end_time?: string | undefined; duration: number },
): { start: number; end: number } {
  const start = instantOf(ctx, input.start_time, 'start_time');
  const end = start + input.duration * MINUTE_MS;
  if (input.end_time !== undefined && instantOf(ctx, input.end_time, 'end_time') !== end) {
    throw invalidInput('/end_time', `end_time must equal start_time + duration (${toIsoUtc(end)})`);
  }
  return { start, end };
}

function priceFor(
  ctx: ServiceContext,
  duration: number,
  isPremium: boolean,
  sentCost: number | undefined,
): number {
  const priceMinor = priceOf(ctx.config.pricing, duration, isPremium);
  if (priceMinor === null) throw invalidInput('/duration', `No price for ${duration} minutes`);
  refuseCostMismatch(ctx, priceMinor, sentCost);
  return priceMinor;
}

/** A `cost` the client sent must be the server's price: the client may check, never set it. */
function refuseCostMismatch(ctx: ServiceContext, priceMinor: number, sentCost: number | undefined): void {
  if (sentCost !== undefined && majorToMinor(sentCost) !== priceMinor) {
    throw new AppError(
      'price_mismatch',
      `cost ${sentCost} does not match the price of this session: ${minorToMajor(priceMinor)} ${ctx.config.pricing.currency}`,
    );
  }
}

type BookingCreated = {
  message: 'Booking confirmed' | 'Booking held until paid';
  booking_id: number;
  booking: Booking;
  payment: Payment | null;
};

/** The booking's transaction found an answer already stored under its idempotency key. */
class AnsweredBefore {
  constructor(readonly answer: StoredAnswer) {}
}

/**
 * Books in one transaction: the stored answer of the idempotency key is looked up, the booking made
 * and its answer stored under the key, so that the key and the booking commit together.
 */
async function createBookingOnce(
  ctx: ServiceContext,
  input: CreateInput,
  request: IdempotentRequest | null,
): Promise<BookingCreated> {
  const { start, end } = timesOf(ctx, input);
  if (input.mentor_id === undefined && input.area_of_expertise === undefined) {
    throw invalidInput('/mentor_id', 'Send mentor_id, or area_of_expertise to have a mentor assigned');
  }
  const studentId = studentIdFor(ctx, input.student_id);
  const draft: Draft = { start, end, durationMinutes: input.duration, studentId, areaId: null };
  const { made, answer } = await withSlotHints(ctx, draft, () =>
    inBookingTransaction(ctx, async (writes) => {
      const { stored, studentName } = await writes.opening(studentId, request);
      if (stored) throw new AnsweredBefore(stored);
      const area = input.area_of_expertise ? await writes.area(input.area_of_expertise) : undefined;
      const withArea: Draft = { ...draft, areaId: area?.id ?? null };
      let made: BookingMade;
      if (input.mentor_id !== undefined) {
        const booking = { mentorId: input.mentor_id, area, sentCost: input.cost };
        made = await bookNamedMentor(writes, ctx, withArea, booking);
      } else {
        const premium = input.premium ?? false;
        const plan: Plan = { ...withArea, priceMinor: priceFor(ctx, input.duration, premium, input.cost) };
        made = await bookAssignedMentor(writes, ctx, area as Area, plan, premium);
      }
      const booking = presentMade(ctx, made, { area: area?.name ?? null, student: studentName });
      const answer: BookingCreated = {
        message: booking.payment ? 'Booking held until paid' : 'Booking confirmed',
        booking_id: made.bookingId,
        booking,
        payment: booking.payment,
      };
      await writes.completeBooking({
        ...completionOf(ctx, made),
        answer: request ? { request, stored: { status: 201, body: answer } } : null,
      });
      return { made, answer };
    }),
  );
  ctx.log.info(
    { bookingId: made.bookingId, mentorId: made.mentorId, studentId },
    made.holdExpiresAt !== null ? 'booking held for payment' : 'booking confirmed',
  );
  ctx.metrics.bookingsChanged('made');
  if (made.lapsedHoldsReleased > 0) ctx.metrics.bookingsChanged('expired', made.lapsedHoldsReleased);
  return answer;
}

/** The answer with the checkout's URL where the student pays. */
function withCheckoutUrl(answer: BookingCreated, url: string): BookingCreated {
  const payment = { ...(answer.payment as Payment), checkout_url: url };
  return { ...answer, booking: { ...answer.booking, payment }, payment };
}

/**
 * Opens the checkout of a booking that was just made to hold its slot. When the provider cannot
 * open it, the hold is let go and the retry key forgotten, so that nothing stays booked that the
 * student cannot pay for, and a retry with the same key books afresh.
 */
async function openCheckoutOfNew(
  ctx: ServiceContext,
  answer: BookingCreated,
  request: IdempotentRequest | null,
): Promise<BookingCreated> {
  let checkout: { url: string } | null;
  try {
    checkout = await openCheckout(ctx, answer.booking_id);
  } catch (error) {
    await releaseUnstartedHold(ctx, answer.booking_id, async (trx) => {
      if (request) await forgetAnswer(trx, request);
    });
    throw paymentUnavailable(error, ctx);
  }
  if (!checkout) return answer;
  const completed = withCheckoutUrl(answer, checkout.url);
  if (request) await restoreAnswerBody(ctx.db.knex, request, completed);
  return completed;
}

/**
 * A retry of a request whose first answer was stored before its checkout was opened (the first
 * request is still talking to the provider, or its process died meanwhile): the checkout is opened
 * now with the same provider key, so both get the same one. A failure here leaves the hold to lapse.
 */
async function replayCreated(
  ctx: ServiceContext,
  stored: BookingCreated,
  request: IdempotentRequest,
): Promise<BookingCreated> {
  // Answers stored before payments existed carry no payment: with payments off then, there was none.
  const answer = {
    ...stored,
    booking: { ...stored.booking, payment: stored.booking.payment ?? null },
    payment: stored.payment ?? null,
  };
  if (answer.payment?.status !== 'pending' || answer.payment.checkout_url !== null) return answer;
  let checkout: { url: string } | null;
  try {
    checkout = await openCheckout(ctx, answer.booking_id);
  } catch (error) {
    throw paymentUnavailable(error, ctx);
  }
  if (!checkout) return answer;
  const completed = withCheckoutUrl(answer, checkout.url);
  await restoreAnswerBody(ctx.db.knex, request, completed);
  return completed;
}

/**
 * Books a session. With an idempotency key, the first answer (a booking or a refusal) is stored
 * with it, and a retry of the same request gets that answer back without booking again.
 */
export async function createBooking(ctx: ServiceContext, input: CreateInput): Promise<BookingCreated> {
  const request = idempotentRequestOf(ctx, 'bookings.create', input);
  let answer: BookingCreated;
  try {
    answer = await createBookingOnce(ctx, input, request);
  } catch (error) {
    if (error instanceof AnsweredBefore) {
      return replayCreated(ctx, replay<BookingCreated>(error.answer), request as IdempotentRequest);
    }
    if (!request) throw error;
    // A concurrent request with the same key may have won meanwhile (its booking can be the very
    // reason this one was refused): its answer is the answer.
    const winner = await storedAnswerOf(ctx, request);
    if (winner) return replayCreated(ctx, replay<BookingCreated>(winner), request);
    if (error instanceof AppError && error.code !== 'idempotency_key_reused' && !isKeyCollision(error)) {
      const body = { code: error.code, detail: error.detail, ...error.extras };
      try {
        await storeAnswer(ctx, ctx.db.knex, request, { status: statusOf(error.code), body });
      } catch (storeError) {
        if (!isKeyCollision(storeError)) throw storeError;
        const lateWinner = await storedAnswerOf(ctx, request);
        if (lateWinner) return replayCreated(ctx, replay<BookingCreated>(lateWinner), request);
      }
    }
    throw error;
  }
  return answer.payment ? openCheckoutOfNew(ctx, answer, request) : answer;
}

export async function getBooking(ctx: ServiceContext, input: OperationInput<Operations['bookings']['get']>) {
  const booking = await bookingById(ctx, input.id);
  requireParticipant(ctx, booking);
  return booking;
}

interface ActiveBooking {
  id: number;
  student_id: number;
  mentor_id: number;
  area_id: number | null;
  start: number;
  end: number;
  duration_minutes: number;
  price_minor: number;
  /** As stored: `confirmed`, or `pending_payment` for a hold being cancelled */
  status: string;
}

/**
 * Loads a booking that may still change: confirmed (so neither cancelled nor completed), or, when
 * it is to be cancelled, also still holding its slot for payment; not started; and (for students)
 * before the cut-off.
 */
async function changeableBooking(
  ctx: ServiceContext,
  trx: Knex.Transaction,
  id: number,
  change: 'cancel' | 'move',
): Promise<ActiveBooking> {
  const query = trx('bookings')
    .select(
      'id',
      'student_id',
      'mentor_id',
      'area_id',
      'start_at',
      'end_at',
      'duration_minutes',
      'price_minor',
      'status',
      'hold_expires_at',
    )
    .where('id', id);
  if (ctx.db.dialect === 'pg') query.forUpdate();
  const row = await query.first();
  if (!row) throw unknownRecord(ctx, 'Booking', id);
  requireParticipant(ctx, row);
  const start = instantFromDb(row.start_at);
  const end = instantFromDb(row.end_at);
  const now = ctx.now();
  const holdExpiresAt = row.hold_expires_at === null ? null : instantFromDb(row.hold_expires_at);
  const status = statusAt(row.status, end, now, holdExpiresAt);
  const changeable = status === 'confirmed' || (change === 'cancel' && status === 'pending_payment');
  if (!changeable) throw new AppError('booking_not_active', `Booking ${id} is ${status}`);
  if (start <= now) throw new AppError('booking_started', `Booking ${id} has already started`);
  const cutoffMs = ctx.config.changeCutoffHours * 60 * MINUTE_MS;
  if (isBoundByCutoff(ctx, change) && start - now < cutoffMs) {
    throw new AppError(
      'change_cutoff_passed',
      `Sessions can be cancelled or moved up to ${ctx.config.changeCutoffHours} hours before they start`,
    );
  }
  return { ...row, start, end };
}

async function recordChange(
  ctx: ServiceContext,
  trx: Knex.Transaction,
  booking: ActiveBooking,
  change: {
    kind: 'cancelled' | 'rescheduled';
    to?: { start: number; end: number; priceMinor: number };
    reason?: string | undefined;
  },
): Promise<void> {
  await trx('booking_changes').insert({
    booking_id: booking.id,
    kind: change.kind,
    actor: ctx.actor.label,
    at: new Date(ctx.now()),
    from_start_at: new Date(booking.start),
    from_end_at: new Date(booking.end),
    from_price_minor: booking.price_minor,
    to_start_at: change.to ? new Date(change.to.start) : null,
    to_end_at: change.to ? new Date(change.to.end) : null,
    to_price_minor: change.to?.priceMinor ?? null,
    reason: change.reason ?? null,
  });
}

export async function cancelBooking(
  request: ServiceContext,
  input: OperationInput<Operations['bookings']['cancel']>,
) {
  // One instant for the whole request: the session that was refusable as ended is also shown so.
  const ctx = withClockStopped(request);
  const paymentWork = await ctx.db.knex.transaction(async (trx) => {
    const booking = await changeableBooking(ctx, trx, input.id, 'cancel');
    const now = new Date(ctx.now());
    await trx('bookings')
      .where('id', booking.id)
      .update({
        status: 'cancelled',
        cancelled_at: now,
        cancellation_reason: input.reason ?? null,
        updated_at: now,
      });
    await recordChange(ctx, trx, booking, { kind: 'cancelled', reason: input.reason });
    const work = await settlePaymentOnCancel(trx, booking.id, ctx.now());
    await recordBookingEvent(trx, ctx.now(), 'booking.cancelled', booking.id, {
      was_confirmed: booking.status === 'confirmed',
      refund_minor: work && 'refundPaymentId' in work ? work.refundMinor : null,
    });
    return work;
  });
  ctx.log.info({ bookingId: input.id, actor: ctx.actor.label }, 'booking cancelled');
  ctx.metrics.bookingsChanged('cancelled');
  // The refund is asked for once the cancellation holds; one the provider cannot take now is retried.
  await afterCancel(ctx, paymentWork);
  return bookingById(ctx, input.id);
}

/**
 * The price of a moved session: the price paid, unless the duration changes, which is priced afresh
 * at the mentor's current tier. A mentor's tier changing after the booking never re-prices it.
 */
function movedPrice(
  ctx: ServiceContext,
  booking: ActiveBooking,
  duration: number,
  isPremium: boolean,
  sentCost: number | undefined,
  paid: boolean,
): number {
  if (duration === booking.duration_minutes) {
    refuseCostMismatch(ctx, booking.price_minor, sentCost);
    return booking.price_minor;
  }
  const price = priceFor(ctx, duration, isPremium, sentCost);
  if (paid && price !== booking.price_minor) {
    throw new AppError(
      'price_changed',
      `A ${duration}-minute session costs ${minorToMajor(price)} ${ctx.config.pricing.currency}, not the ${minorToMajor(booking.price_minor)} paid: cancel this session (it is refunded) and book the new length`,
    );
  }
  return price;
}

/**
 * Moves a booking in one transaction: the new time is checked as a new booking would be (its own
 * old time aside), the row is updated in place so the id stays, and the change is recorded. The
 * database's overlap guard sees the update too, so a concurrent booking cannot slip in between.
 * A move to the very slot it has changes nothing and records nothing.
 */
export async function rescheduleBooking(
  request: ServiceContext,
  input: OperationInput<Operations['bookings']['reschedule']>,
) {
  const ctx = withClockStopped(request);
  const current = await bookingById(ctx, input.id);
  requireParticipant(ctx, current);
  const duration = input.duration ?? current.duration;
  const { start, end } = timesOf(ctx, { ...input, duration });
  const draft: Draft = {
    start,
    end,
    durationMinutes: duration,
    studentId: current.student_id,
    areaId: null,
    movingBookingId: current.id,
  };
  const change = await withSlotHints(ctx, draft, () =>
    ctx.db.knex.transaction(async (trx) => {
      await lockMentors(trx, ctx.db, [current.mentor_id]);
      const booking = await changeableBooking(ctx, trx, input.id, 'move');
      const mentor = await loadMentor(trx, booking.mentor_id);
      const paid = await trx('payments')
        .select('id')
        .where({ booking_id: booking.id, status: 'paid' })
        .first();
      const plan: Plan = {
        ...draft,
        priceMinor: movedPrice(ctx, booking, duration, mentor.is_premium, input.cost, paid !== undefined),
      };
      if (booking.start === start && booking.end === end) return { moved: false, lapsedHoldsReleased: 0 };
      const lapsedHoldsReleased = await releaseLapsedHolds(trx, ctx.now(), plan, {
        mentorIds: [booking.mentor_id],
        studentId: booking.student_id,
      });
      const refusal = refusalFor(
        await scheduleOf(trx, mentor, plan, ctx.now()),
        plan,
        ctx.now(),
        ctx.config.slotPolicy,
      );
      if (refusal === 'slot_taken')
        throw new SlotConflict('slot_taken', refusalMessages.slot_taken, [mentor]);
      if (refusal) throw refusalError(refusal, ctx);
      // The student's own overlap is refused by the database's guard on the update (`student_busy`).
      await trx('bookings')
        .where('id', booking.id)
        .update({
          start_at: new Date(start),
          end_at: new Date(end),
          duration_minutes: duration,
          price_minor: plan.priceMinor,
          updated_at: new Date(ctx.now()),
        })
        .catch((error) => rethrowOverlap(error, [mentor]));
      const to = { start, end, priceMinor: plan.priceMinor };
      await recordChange(ctx, trx, booking, { kind: 'rescheduled', to });
      await recordBookingEvent(trx, ctx.now(), 'booking.rescheduled', booking.id, {
        previous: { start: booking.start, end: booking.end },
      });
      return { moved: true, lapsedHoldsReleased };
    }),
  );
  if (change.moved) {
    ctx.log.info({ bookingId: input.id, actor: ctx.actor.label }, 'booking rescheduled');
    ctx.metrics.bookingsChanged('rescheduled');
  }
  if (change.lapsedHoldsReleased > 0) ctx.metrics.bookingsChanged('expired', change.lapsedHoldsReleased);
  return bookingById(ctx, input.id);
}

export async function bookingHistory(
  ctx: ServiceContext,
  input: OperationInput<Operations['bookings']['history']>,
) {
  requireParticipant(ctx, await bookingById(ctx, input.id));
  return changesOfBookings(ctx.db.knex, [input.id]);
}

/** The recorded changes of the bookings named, oldest first. */
export async function changesOfBookings(db: Knex | Knex.Transaction, bookingIds: readonly number[]) {
  const rows = await db('booking_changes').whereIn('booking_id', bookingIds).orderBy('id');
  const instantOrNull = (value: unknown) => (value === null ? null : toIsoUtc(instantFromDb(value)));
  // Changes recorded before prices were kept with them have none.
  const costOrNull = (minor: number | null) => (minor === null ? null : minorToMajor(Number(minor)));
  return rows.map((row) => ({
    id: row.id,
    booking_id: row.booking_id,
    kind: row.kind,
    actor: row.actor,
    at: toIsoUtc(instantFromDb(row.at)),
    from_start_time: toIsoUtc(instantFromDb(row.from_start_at)),
    from_end_time: toIsoUtc(instantFromDb(row.from_end_at)),
    from_cost: costOrNull(row.from_price_minor),
    to_start_time: instantOrNull(row.to_start_at),
    to_end_time: instantOrNull(row.to_end_at),
    to_cost: costOrNull(row.to_price_minor),
    reason: row.reason,
  }));
}

export async function listBookings(
  request: ServiceContext,
  input: OperationInput<Operations['bookings']['list']>,
): Promise<Page<Booking>> {
  // One instant decides both which bookings match `status`/`upcoming` and the status they show.
  const ctx = withClockStopped(request);
  const now = ctx.now();
  const query = bookingQuery(ctx.db.knex)
    .orderBy([
      { column: 'bookings.start_at', order: 'asc' },
      { column: 'bookings.id', order: 'asc' },
    ])
    .limit(input.limit + 1);
  const own = ownBookingsFilter(ctx, input);
  if (own.student_id !== undefined) query.where('bookings.student_id', own.student_id);
  if (own.mentor_id !== undefined) query.where('bookings.mentor_id', own.mentor_id);
  if (input.status !== undefined) whereStatusReads(query, input.status, now);
  if (input.from !== undefined)
    query.where('bookings.start_at', '>=', new Date(instantOf(ctx, input.from, 'from')));
  if (input.to !== undefined) query.where('bookings.start_at', '<', new Date(instantOf(ctx, input.to, 'to')));
  if (input.upcoming !== undefined)
    query.where('bookings.end_at', input.upcoming ? '>' : '<=', new Date(now));
  if (input.cursor !== undefined) {
    const [afterStart, afterId] = decodeCursor(input.cursor, ['instant', 'id']) as [number, number];
    query.where((where) =>
      where
        .where('bookings.start_at', '>', new Date(afterStart))
        .orWhere((tie) =>
          tie.where('bookings.start_at', new Date(afterStart)).where('bookings.id', '>', afterId),
        ),
    );
  }
  const rows: BookingRow[] = await query;
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => present(row, now)),
    nextCursor:
      rows.length > input.limit && last ? encodeCursor([instantFromDb(last.start_at), last.id]) : null,
  };
}

/** Every booking of one student, as the API shows them now, by start time then id. */
export async function bookingsOfStudent(ctx: ServiceContext, studentId: number): Promise<Booking[]> {
  const now = ctx.now();
  const rows: BookingRow[] = await bookingQuery(ctx.db.knex)
    .where('bookings.student_id', studentId)
    .orderBy([
      { column: 'bookings.start_at', order: 'asc' },
      { column: 'bookings.id', order: 'asc' },
    ]);
  return rows.map((row) => present(row, now));
}

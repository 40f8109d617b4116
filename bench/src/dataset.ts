import { buildApp, loadConfig } from '@mentor-scheduling/server';
import type { FastifyInstance } from 'fastify';
import type { Driver } from './args.js';
import {
  AREA_NAMES,
  Calendars,
  DAY_MS,
  localDayOf,
  MENTOR_TIMEZONE,
  MINUTE_MS,
  pick,
  randomSource,
  shuffle,
  slugOf,
  type WeeklyWindow,
  weeklyWindowsOf,
  windowsOnLocalDay,
} from './catalogue.js';
import { METRICS_TOKEN } from './metrics-summary.js';

export const ADMIN_TOKEN = 'bench-admin-token-0123456789';
export const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** Minimum notice and horizon of the server's default slot policy, which the benchmark keeps. */
const MIN_NOTICE_MS = 120 * MINUTE_MS;
const HORIZON_DAYS = 60;
/** GET /api/mentors/{id}/slots answers at most 31 days at a time. */
const SLOT_QUERY_DAYS = 31;

export interface DatabaseTarget {
  driver: Driver;
  /** SQLite file; unused for pg. */
  filename: string;
  databaseUrl?: string | undefined;
}

/** Environment of the server, both in-process (data set build) and in its child process. */
export function serverEnv(target: DatabaseTarget, logLevel: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    DB_CLIENT: target.driver,
    ...(target.driver === 'pg'
      ? { DATABASE_URL: target.databaseUrl ?? '' }
      : { DB_FILENAME: target.filename }),
    SEED_DEMO: 'false',
    LOG_LEVEL: logLevel,
    ADMIN_TOKEN,
    METRICS_TOKEN,
    // The per-IP rate limit stays in the request path (its cost is measured), but one load generator
    // on one address must not be turned away by it.
    RATE_LIMIT_MAX: '1000000000',
  };
}

export async function openApp(target: DatabaseTarget, now: number): Promise<FastifyInstance> {
  return buildApp(loadConfig(serverEnv(target, 'warn')), { now: () => now });
}

interface Answer<T> {
  status: number;
  body: T;
}

async function call<T>(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  payload?: unknown,
): Promise<Answer<T>> {
  const response = await app.inject({
    method,
    url,
    ...(payload === undefined ? {} : { payload: payload as object }),
    headers: method === 'GET' ? {} : adminHeaders,
  });
  const text = response.body;
  return { status: response.statusCode, body: (text ? JSON.parse(text) : null) as T };
}

async function expectOk<T>(answer: Promise<Answer<T>>, what: string): Promise<T> {
  const { status, body } = await answer;
  if (status >= 300) throw new Error(`${what} answered ${status}: ${JSON.stringify(body).slice(0, 400)}`);
  return body;
}

export interface MentorInfo {
  id: number;
  index: number;
  areas: string[];
  isPremium: boolean;
  weekly: WeeklyWindow[];
}

export interface BookingRequest {
  student_id: number;
  mentor_id: number;
  start_time: string;
  end_time: string;
  duration: number;
  cost: number;
}

export interface DataSet {
  areas: string[];
  mentors: MentorInfo[];
  studentIds: number[];
  /** Sessions that exist before measuring: what the micro-benchmark's busy time is made of. */
  sessions: { mentorId: number; start: number; end: number }[];
  /** Distinct free (mentor, slot, student) triples: every POST of them should succeed. */
  freeBookings: BookingRequest[];
  /** 50 free slots of one mentor, and students with nothing booked, for the contention scenario. */
  contention: { slots: BookingRequest[]; studentIds: number[] };
  slotsRouteAvailable: boolean;
  bookingsMadeThroughApi: number;
  bookingsBulkInserted: number;
  buildSeconds: Record<string, number>;
}

export interface DataSetPlan {
  now: number;
  mentors: number;
  areas: number;
  students: number;
  /** Bookings made one by one through POST /api/bookings. */
  apiBookings: number;
  /** Bookings bulk-inserted with knex (scaling runs), spread over the past too. */
  bulkBookings: number;
  days: number;
  /** How many free triples to prepare for the POST scenarios. */
  freeBookings: number;
  contentionSlots: number;
  contentionStudents: number;
  seed: number;
}

const priceOf = (duration: number, premium: boolean) =>
  ({ 30: 2000, 45: 3000, 60: 4000 })[duration as 30 | 45 | 60] * (premium ? 1.5 : 1);

function isoOf(instant: number): string {
  return new Date(instant).toISOString();
}

/** A random grid-aligned session inside one of the mentor's windows on a random day of the span. */
function randomSession(
  random: () => number,
  mentor: MentorInfo,
  firstDay: number,
  dayCount: number,
  duration: number,
): { start: number; end: number } | null {
  const day = firstDay + Math.floor(random() * dayCount);
  const windows = windowsOnLocalDay(mentor.weekly, day);
  if (windows.length === 0) return null;
  const window = pick(random, windows);
  const starts = Math.floor((window.end - window.start - duration * MINUTE_MS) / (15 * MINUTE_MS)) + 1;
  if (starts <= 0) return null;
  const start = window.start + Math.floor(random() * starts) * 15 * MINUTE_MS;
  return { start, end: start + duration * MINUTE_MS };
}

const durationChoices = [30, 30, 30, 45, 60, 60] as const;

/**
 * Builds the data set through the service's own routes (areas excepted: they have no route) on the
 * app's database, and prepares what the load scenarios will send.
 */
export async function buildDataSet(app: FastifyInstance, plan: DataSetPlan, log: (line: string) => void) {
  const random = randomSource(plan.seed);
  const seconds: Record<string, number> = {};
  const timed = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await work();
    seconds[label] = Math.round(performance.now() - started) / 1000;
    log(`  ${label}: ${seconds[label]} s`);
    return result;
  };

  const areaNames = AREA_NAMES.slice(0, plan.areas);
  await timed('areas (knex insert: no route creates areas)', () =>
    app.db.knex('areas').insert(areaNames.map((name) => ({ name, slug: slugOf(name) }))),
  );

  const mentors = await timed(`${plan.mentors} mentors (POST /api/mentors)`, async () => {
    const created: MentorInfo[] = [];
    for (let index = 0; index < plan.mentors; index++) {
      const areaCount = 1 + Math.floor(random() * 3);
      const areas = new Set([areaNames[index % areaNames.length] as string]);
      while (areas.size < Math.min(areaCount, areaNames.length)) areas.add(pick(random, areaNames));
      const isPremium = index % 8 === 7;
      const weekly = weeklyWindowsOf(index);
      const body = await expectOk(
        call<{ id: number }>(app, 'POST', '/api/mentors', {
          name: `Mentor ${index + 1}`,
          headline: `${[...areas][0]} mentor, ${5 + (index % 15)} years in the industry`,
          areas_of_expertise: [...areas],
          is_premium: isPremium,
          timezone: MENTOR_TIMEZONE,
          weekly,
        }),
        'POST /api/mentors',
      );
      created.push({ id: body.id, index, areas: [...areas], isPremium, weekly });
    }
    return created;
  });

  const studentIds = await timed(
    `${plan.students + plan.contentionStudents} students (POST /api/students)`,
    async () => {
      const ids: number[] = [];
      for (let index = 0; index < plan.students + plan.contentionStudents; index++) {
        const body = await expectOk(
          call<{ id: number }>(app, 'POST', '/api/students', {
            name: `Student ${index + 1}`,
            email: `student${index + 1}@bench.example`,
            timezone: MENTOR_TIMEZONE,
            area_of_interest: areaNames[index % areaNames.length],
          }),
          'POST /api/students',
        );
        ids.push(body.id);
      }
      return ids;
    },
  );
  const contentionStudentIds = studentIds.slice(plan.students);
  const bookingStudentIds = studentIds.slice(0, plan.students);

  const calendars = new Calendars();
  const sessions: DataSet['sessions'] = [];
  const earliest = plan.now + MIN_NOTICE_MS;
  const days = Math.min(plan.days, HORIZON_DAYS);
  const latest = plan.now + days * DAY_MS;
  const firstFutureDay = localDayOf(plan.now);
  let studentCursor = 0;
  const freeStudent = (start: number, end: number, pool: readonly number[]): number | null => {
    for (let tries = 0; tries < pool.length; tries++) {
      const id = pool[studentCursor++ % pool.length] as number;
      if (calendars.isFree(`s${id}`, start, end)) return id;
    }
    return null;
  };

  const makeApiBookings = async () => {
    let made = 0;
    let refused = 0;
    for (let attempt = 0; made < plan.apiBookings && attempt < plan.apiBookings * 20; attempt++) {
      const mentor = pick(random, mentors);
      const duration = pick(random, durationChoices);
      const session = randomSession(random, mentor, firstFutureDay, days + 1, duration);
      if (!session || session.start < earliest || session.start > latest) continue;
      if (!calendars.isFree(`m${mentor.id}`, session.start, session.end)) continue;
      const studentId = freeStudent(session.start, session.end, bookingStudentIds);
      if (studentId === null) continue;
      // One in five lets the service assign a mentor of the area, as students often do.
      const assign = random() < 0.2;
      const answer = await call<{ booking?: { mentor_id: number }; code?: string }>(
        app,
        'POST',
        '/api/bookings',
        {
          student_id: studentId,
          ...(assign
            ? { area_of_expertise: pick(random, mentor.areas), premium: mentor.isPremium }
            : { mentor_id: mentor.id }),
          start_time: isoOf(session.start),
          end_time: isoOf(session.end),
          duration,
          cost: priceOf(duration, mentor.isPremium),
        },
      );
      if (answer.status === 201 && answer.body.booking) {
        const mentorId = answer.body.booking.mentor_id;
        calendars.take(`m${mentorId}`, session.start, session.end);
        calendars.take(`s${studentId}`, session.start, session.end);
        sessions.push({ mentorId, start: session.start, end: session.end });
        made++;
      } else if (assign && answer.status === 409) {
        // Everyone of the area was busy then: a normal answer, not a bug of the data set.
        refused++;
      } else {
        throw new Error(
          `POST /api/bookings answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 400)}`,
        );
      }
    }
    if (refused > 0)
      log(`    (${refused} assignment requests found no free mentor and were retried elsewhere)`);
    return made;
  };
  const apiMade =
    plan.apiBookings > 0
      ? await timed(`${plan.apiBookings} bookings (POST /api/bookings, one by one)`, makeApiBookings)
      : 0;

  let bulkInserted = 0;
  if (plan.bulkBookings > 0) {
    bulkInserted = await timed(
      `${plan.bulkBookings} bookings (bulk insert with knex, in one transaction)`,
      () => bulkInsertBookings(app, plan, mentors, bookingStudentIds, calendars, sessions, random),
    );
  }

  const slotsRouteAvailable = await probeSlotsRoute(app, areaNames[0] as string);

  const open = await timed('free slots of every mentor (GET /api/mentors/{id}/slots)', async () => {
    const starts = new Map<number, number[]>();
    for (const mentor of mentors) {
      const list: number[] = [];
      for (let from = plan.now; from < latest; from += SLOT_QUERY_DAYS * DAY_MS) {
        const to = Math.min(from + SLOT_QUERY_DAYS * DAY_MS, latest);
        const body = await expectOk(
          call<{ slots: { start_time: string }[] }>(
            app,
            'GET',
            `/api/mentors/${mentor.id}/slots?duration=30&from=${isoOf(from)}&to=${isoOf(to)}`,
          ),
          'GET /api/mentors/{id}/slots',
        );
        for (const slot of body.slots) list.push(Date.parse(slot.start_time));
      }
      // Whole and half hours only: then no two prepared sessions of one mentor overlap.
      starts.set(
        mentor.id,
        list.filter((start) => start % (30 * MINUTE_MS) === 0),
      );
    }
    return starts;
  });

  const requestOf = (mentor: MentorInfo, start: number, studentId: number): BookingRequest => ({
    student_id: studentId,
    mentor_id: mentor.id,
    start_time: isoOf(start),
    end_time: isoOf(start + 30 * MINUTE_MS),
    duration: 30,
    cost: priceOf(30, mentor.isPremium),
  });

  // The most booked mentor opens a calendar: 50 of their slots, raced for by many students.
  const popular = mentors.reduce((best, mentor) =>
    (open.get(mentor.id)?.length ?? 0) > (open.get(best.id)?.length ?? 0) ? mentor : best,
  );
  const popularStarts = open.get(popular.id) ?? [];
  const contentionStarts = popularStarts.splice(0, plan.contentionSlots);
  const contentionSlots = contentionStarts.map((start) =>
    requestOf(popular, start, contentionStudentIds[0] as number),
  );

  const candidates = shuffle(
    random,
    mentors.flatMap((mentor) => (open.get(mentor.id) ?? []).map((start) => ({ mentor, start }))),
  );
  const freeBookings: BookingRequest[] = [];
  for (const { mentor, start } of candidates) {
    if (freeBookings.length >= plan.freeBookings) break;
    const end = start + 30 * MINUTE_MS;
    const studentId = freeStudent(start, end, bookingStudentIds);
    if (studentId === null) continue;
    calendars.take(`s${studentId}`, start, end);
    freeBookings.push(requestOf(mentor, start, studentId));
  }
  log(
    `  prepared ${freeBookings.length} distinct free bookings and ${contentionSlots.length} contended slots`,
  );

  const dataSet: DataSet = {
    areas: areaNames,
    mentors,
    studentIds: bookingStudentIds,
    sessions,
    freeBookings,
    contention: { slots: contentionSlots, studentIds: contentionStudentIds },
    slotsRouteAvailable,
    bookingsMadeThroughApi: apiMade,
    bookingsBulkInserted: bulkInserted,
    buildSeconds: seconds,
  };
  return dataSet;
}

/** Whether GET /api/slots exists on this server yet (it is being added beside this benchmark). */
async function probeSlotsRoute(app: FastifyInstance, area: string): Promise<boolean> {
  const answer = await call<{ code?: string }>(
    app,
    'GET',
    `/api/slots?area_of_expertise=${encodeURIComponent(area)}&duration=30`,
  );
  if (answer.status === 404 && answer.body?.code === 'route_not_found') return false;
  if (answer.status !== 200) {
    throw new Error(`GET /api/slots answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 400)}`);
  }
  return true;
}

const BULK_BATCH = 500;

/**
 * Inserts confirmed, non-overlapping sessions inside each mentor's availability straight into the
 * table (the overlap triggers still check every row). They spread over the next 60 days and, when
 * there are more than that span holds comfortably, over the past as history, at about 1.5 sessions a
 * mentor a day: a 100k-row table is then a year of history of 200 mentors.
 */
async function bulkInsertBookings(
  app: FastifyInstance,
  plan: DataSetPlan,
  mentors: MentorInfo[],
  studentIds: number[],
  calendars: Calendars,
  sessions: DataSet['sessions'],
  random: () => number,
): Promise<number> {
  const futureDays = Math.min(plan.days, HORIZON_DAYS);
  const totalDays = Math.max(futureDays, Math.ceil(plan.bulkBookings / (mentors.length * 1.5)));
  const firstDay = localDayOf(plan.now) - (totalDays - futureDays);
  const earliestFuture = plan.now + MIN_NOTICE_MS;
  const latest = plan.now + futureDays * DAY_MS;
  const rows: Record<string, unknown>[] = [];
  let studentCursor = 0;
  const created = new Date(plan.now - 30 * DAY_MS);
  for (let attempt = 0; rows.length < plan.bulkBookings && attempt < plan.bulkBookings * 30; attempt++) {
    const mentor = mentors[Math.floor(random() * mentors.length)] as MentorInfo;
    const duration = pick(random, durationChoices);
    const session = randomSession(random, mentor, firstDay, totalDays + 1, duration);
    if (!session || session.start > latest) continue;
    // Future sessions obey the booking rules; past ones are history and only must not overlap.
    if (session.start >= plan.now && session.start < earliestFuture) continue;
    if (!calendars.isFree(`m${mentor.id}`, session.start, session.end)) continue;
    let studentId: number | null = null;
    for (let tries = 0; tries < studentIds.length && studentId === null; tries++) {
      const id = studentIds[studentCursor++ % studentIds.length] as number;
      if (calendars.isFree(`s${id}`, session.start, session.end)) studentId = id;
    }
    if (studentId === null) continue;
    calendars.take(`m${mentor.id}`, session.start, session.end);
    calendars.take(`s${studentId}`, session.start, session.end);
    if (session.start >= plan.now) sessions.push({ mentorId: mentor.id, ...session });
    rows.push({
      student_id: studentId,
      mentor_id: mentor.id,
      area_id: null,
      start_at: new Date(session.start),
      end_at: new Date(session.end),
      duration_minutes: duration,
      price_minor: priceOf(duration, mentor.isPremium) * 100,
      currency: 'INR',
      status: 'confirmed',
      created_at: created,
      updated_at: created,
    });
  }
  await app.db.knex.transaction(async (trx) => {
    for (let offset = 0; offset < rows.length; offset += BULK_BATCH) {
      await trx('bookings').insert(rows.slice(offset, offset + BULK_BATCH));
    }
  });
  return rows.length;
}

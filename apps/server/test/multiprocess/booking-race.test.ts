import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instantFromDb } from '../../src/db/connection.js';
import { createTestSchema, dropTestSchema, pgKnexFor, pgSkipReason, pgTestUrl } from '../support/postgres.js';
import {
  Cluster,
  figuresOf,
  OVERLAPPING_PAIRS_SQL,
  type RaceOutcome,
  runBookingRace,
  summaryLine,
} from './booking-race.js';
import { type ServerProcess, startCluster, stopCluster } from './cluster.js';

async function rowsOf(knex: Knex, sql: string): Promise<any[]> {
  const result = await knex.raw(sql);
  return Array.isArray(result) ? result : result.rows;
}

/** Everything the race must show, read from the answers and from the database itself. */
async function expectNoDoubleBooking(
  label: string,
  cluster: Cluster,
  servers: ServerProcess[],
  outcome: RaceOutcome,
  knex: Knex,
): Promise<void> {
  const figures = figuresOf(outcome);
  console.log(summaryLine(label, servers.length, figures, outcome));

  // No 500s (nor anything else): each request either got its slot or a 409.
  const unexpected = outcome.answers.filter((answer) => answer.status !== 201 && answer.status !== 409);
  const serverErrors = servers.flatMap((server) => server.errorLines);
  expect(
    unexpected.slice(0, 3),
    `answers other than 201 and 409; the servers logged: ${serverErrors.slice(0, 3).join('\n')}`,
  ).toEqual([]);
  expect(serverErrors).toEqual([]);

  // Exactly one success per contested mentor-slot, and it is the one asked for.
  expect(figures.successes).toBe(figures.winsPerMentorSlot.size);
  expect([...figures.winsPerMentorSlot].filter(([, wins]) => wins !== 1)).toEqual([]);
  outcome.requests.forEach((request, index) => {
    const answer = outcome.answers[index];
    if (answer?.status === 201) {
      expect(answer.body.booking.start_time).toBe(request.start);
      if (request.kind === 'named') expect(answer.body.booking.mentor_id).toBe(request.mentorId);
      else expect(outcome.mentorIds).toContain(answer.body.booking.mentor_id);
    } else {
      // Named losers: the slot is taken; assignment losers: no mentor of the area is left.
      expect(answer?.body.code).toBe(request.kind === 'named' ? 'slot_taken' : 'no_mentor_available');
      expect(answer?.body.next_slots).toBeInstanceOf(Array);
    }
  });
  expect(figures.conflicts).toBe(figures.requests - figures.successes);

  // The same key sent to every process: one booking, and every process gives the same answer.
  for (const group of outcome.idempotent) {
    expect(group.answers.map((answer) => answer.status)).toEqual(group.answers.map(() => 201));
    for (const answer of group.answers) expect(answer.body).toEqual(group.answers[0]?.body);
  }
  const first = outcome.idempotent[0];
  if (first) {
    const reused = await cluster.call(
      1,
      'POST',
      '/api/bookings',
      { ...first.body, duration: 45 },
      { 'idempotency-key': first.key },
    );
    expect([reused.status, reused.body.code]).toEqual([422, 'idempotency_key_reused']);
  }

  // The database agrees: no overlapping confirmed rows, one booking per contested mentor-slot and
  // per retried request.
  const [overlaps] = await rowsOf(knex, OVERLAPPING_PAIRS_SQL);
  expect(Number(overlaps.pairs)).toBe(0);
  const confirmed = await knex('bookings')
    .select('mentor_id', 'student_id', 'start_at')
    .where('status', 'confirmed');
  const perMentorSlot = new Map<string, number>();
  for (const row of confirmed) {
    const slot = `${row.mentor_id}@${new Date(instantFromDb(row.start_at)).toISOString()}`;
    perMentorSlot.set(slot, (perMentorSlot.get(slot) ?? 0) + 1);
  }
  for (const slot of figures.winsPerMentorSlot.keys()) expect(perMentorSlot.get(slot), slot).toBe(1);
  const retriedStudents = outcome.idempotent.map((group) => group.body.student_id as number);
  const retriedRows = confirmed.filter((row) => retriedStudents.includes(row.student_id));
  expect(retriedRows).toHaveLength(outcome.idempotent.length);
  expect(confirmed).toHaveLength(figures.successes + outcome.idempotent.length);
}

const DRAIN_REQUESTS = 40;

/** A GET on a shared keep-alive connection pool (fetch's default): status, or the failure. */
function getKeepAlive(url: string): Promise<number | string> {
  return fetch(url).then(
    async (response) => {
      await response.arrayBuffer();
      return response.status;
    },
    (error: Error & { cause?: { code?: string } }) => `failed: ${error.cause?.code ?? error.message}`,
  );
}

/**
 * SIGTERM while requests are in flight (sent on accepted connections, not yet answered): every one of
 * them still gets its answer, then the process exits 0; the others stop cleanly too.
 *
 * The requests use keep-alive connections: answers given during shutdown say `Connection: close`, so
 * a connection busy at SIGTERM does not hold the process open after its answer.
 */
async function expectGracefulStop(label: string, servers: ServerProcess[]): Promise<void> {
  const [first, ...others] = servers;
  if (!first) throw new Error('no server');
  const completed = first.logged('request completed');
  // A month of an area's open slots, each over its own window so that none is a kept answer: heavy
  // enough that the 40 are still being answered at SIGTERM.
  const day = 86_400_000;
  const searchOf = (index: number) => {
    const from = new Date(Date.now() + day + index * 60_000).toISOString();
    const to = new Date(Date.now() + 31 * day + index * 60_000).toISOString();
    return `/api/slots?area_of_expertise=FMCG%20Sales&duration=30&from=${from}&to=${to}`;
  };
  const answers = Array.from({ length: DRAIN_REQUESTS }, (_, index) =>
    getKeepAlive(`${first.url}${searchOf(index)}`),
  );
  // SIGTERM as soon as the first answer is out: on better-sqlite3 a request, once started, runs to
  // its answer without yielding, so waiting for every request to be logged would leave none in flight.
  // All 40 connections were accepted before any request was read, so none is refused by the stop.
  const deadline = Date.now() + 20_000;
  while (first.logged('request completed') === completed && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const inFlight = DRAIN_REQUESTS - (first.logged('request completed') - completed);
  const exitCode = first.stop();
  const statuses = await Promise.all(answers);
  console.log(
    `[multiprocess ${label}] SIGTERM with ${inFlight} of ${DRAIN_REQUESTS} requests in flight: ` +
      `${statuses.filter((status) => status === 200).length} answered 200, exit code ${await exitCode}`,
  );
  expect(inFlight, 'requests still unanswered when SIGTERM was sent').toBeGreaterThan(0);
  expect(statuses).toEqual(statuses.map(() => 200));
  expect(await exitCode).toBe(0);
  expect(await stopCluster(others)).toEqual(others.map(() => 0));
}

describe.skipIf(!pgTestUrl)(
  `three server processes on one PostgreSQL schema${pgTestUrl ? '' : ` (${pgSkipReason})`}`,
  () => {
    let schema: string;
    let servers: ServerProcess[] = [];
    let knex: Knex;

    beforeAll(async () => {
      schema = await createTestSchema();
      knex = pgKnexFor(schema);
      // Started together on an empty schema: their migrations and demo seeding race as well.
      servers = await startCluster(3, 'pg', {
        DB_CLIENT: 'pg',
        DATABASE_URL: pgTestUrl as string,
        DB_SCHEMA: schema,
      });
    });
    afterAll(async () => {
      await stopCluster(servers);
      await knex?.destroy();
      if (schema) await dropTestSchema(schema);
    });

    it('books each contested mentor-slot exactly once, answers the rest 409, honours keys across processes', async () => {
      const cluster = new Cluster(servers.map((server) => server.url));
      const outcome = await runBookingRace(cluster);
      await expectNoDoubleBooking('pg', cluster, servers, outcome, knex);
    });

    it('answers the requests in flight at SIGTERM, then exits 0', async () => {
      await expectGracefulStop('pg', servers);
    });
  },
);

describe('two server processes on one SQLite file', () => {
  let dir: string;
  let servers: ServerProcess[] = [];
  let knex: Knex;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mentor-scheduling-multiprocess-'));
    const filename = join(dir, 'shared.sqlite');
    servers = await startCluster(2, 'sqlite', { DB_CLIENT: 'better-sqlite3', DB_FILENAME: filename });
    knex = knexFactory({ client: 'better-sqlite3', connection: { filename }, useNullAsDefault: true });
  });
  afterAll(async () => {
    await stopCluster(servers);
    await knex?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('never double-books, and busy database errors never become 500s', async () => {
    const cluster = new Cluster(servers.map((server) => server.url));
    const outcome = await runBookingRace(cluster);
    await expectNoDoubleBooking('sqlite', cluster, servers, outcome, knex);
  });

  it('answers the requests in flight at SIGTERM, then exits 0', async () => {
    await expectGracefulStop('sqlite', servers);
  });
});

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { asAdmin, dbClient, NOW, TEST_ADMIN_TOKEN } from '../support/app.js';
import { freeBookings, type WantedBooking } from '../support/free-slots.js';
import { createTestSchema, dropTestSchema, pgTestUrl, withPgAdmin } from '../support/postgres.js';

/**
 * PostgreSQL's side of docs/operations.md: `pg_dump` taken while a server keeps booking, restored
 * with `createdb` and `pg_restore` exactly as the page says, then served by a new server, as after
 * a lost database server. The real client tools run against the real server; the SQLite side is
 * backup.test.ts. Only the `pg` project has a PostgreSQL server to run them against.
 */

const run = promisify(execFile);

interface CommandResult {
  code: number | string;
  stdout: string;
  stderr: string;
}

/** Runs a PostgreSQL client tool as an operator would, answering its exit code and output. */
function command(file: string, args: string[]): Promise<CommandResult> {
  return run(file, args).then(
    (result) => ({ code: 0, ...result }),
    (error: CommandResult) => error,
  );
}

let dir: string;
/** Databases this file created, dropped at the end whatever happened. */
const scratchDatabases: string[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'backup-pg-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (scratchDatabases.length === 0) return;
  await withPgAdmin(async (knex) => {
    // FORCE: a server a failed test left open must not keep its database alive.
    for (const name of scratchDatabases) await knex.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
  });
});

function scratchDatabaseName(): string {
  const name = `backup_${randomBytes(6).toString('hex')}`;
  scratchDatabases.push(name);
  return name;
}

/** PG_TEST_URL with another database in its path: same server, same credentials. */
function urlOfDatabase(name: string): string {
  const url = new URL(pgTestUrl as string);
  url.pathname = `/${name}`;
  return url.toString();
}

function appOn(databaseEnv: Record<string, string>): Promise<FastifyInstance> {
  return buildApp(
    loadConfig({
      NODE_ENV: 'test',
      DB_CLIENT: 'pg',
      ...databaseEnv,
      SEED_DEMO: 'true',
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      PASSWORD_SCRYPT_LOG2N: '10',
      RATE_LIMIT_MAX: '100000',
    }),
    { now: () => NOW },
  );
}

function book(app: FastifyInstance, wanted: WantedBooking, studentId: number) {
  return app.inject({
    method: 'POST',
    url: '/api/bookings',
    headers: asAdmin,
    payload: { ...wanted, student_id: studentId, duration: 30 },
  });
}

async function bookingIdsOf(app: FastifyInstance): Promise<Set<number>> {
  const rows: { id: number }[] = await app.db.knex('bookings').select('id');
  return new Set(rows.map((row) => row.id));
}

interface Deployment {
  /** How the live server finds its data */
  liveEnv: Record<string, string>;
  liveUrl: string;
  /** The options docs/operations.md gives for this deployment, before `--file` */
  dumpOptions: string[];
  /** How a server finds the restored copy in the database `restoredUrl` names */
  restoredEnv(restoredUrl: string): Record<string, string>;
}

/**
 * Four clients book while `pg_dump` runs; the dump is restored into a new database and served by a
 * new server, which must hold every booking acknowledged before the dump began, with its events,
 * keep the overlap constraints, and go on numbering bookings after the restored ones.
 */
async function dumpUnderLoadAndRestore(deployment: Deployment): Promise<void> {
  const live = await appOn(deployment.liveEnv);
  let restored: FastifyInstance | undefined;
  try {
    const bookings = await freeBookings(live);
    expect(bookings.length).toBeGreaterThan(100);
    const acknowledged: number[] = [];
    let next = 0;
    let stop = false;
    // Students 1 to 4, one each: student 5 stays free for the booking on the restored copy.
    const clients = Array.from({ length: 4 }, async (_, client) => {
      while (!stop && next < bookings.length) {
        const response = await book(live, bookings[next++] as WantedBooking, 1 + client);
        if (response.statusCode === 201) acknowledged.push(response.json().booking_id);
      }
    });
    while (acknowledged.length < 20) await new Promise((resolve) => setTimeout(resolve, 10));
    const beforeDump = [...acknowledged];
    const file = join(dir, `${randomBytes(4).toString('hex')}.dump`);
    const dump = await command('pg_dump', [
      '--format=custom',
      ...deployment.dumpOptions,
      `--file=${file}`,
      deployment.liveUrl,
    ]);
    const duringDump = acknowledged.length - beforeDump.length;
    stop = true;
    await Promise.all(clients);
    expect(dump.code, dump.stderr).toBe(0);
    // The load went on while pg_dump read: the test is about a server that never stopped.
    expect(duringDump).toBeGreaterThan(0);

    const restoredName = scratchDatabaseName();
    const created = await command('createdb', [`--maintenance-db=${deployment.liveUrl}`, restoredName]);
    expect(created.code, created.stderr).toBe(0);
    const restoredUrl = urlOfDatabase(restoredName);
    const restore = await command('pg_restore', ['--no-owner', `--dbname=${restoredUrl}`, file]);
    // pg_restore carries on past failed statements and only then exits 1: a dump without the
    // btree_gist extension restores every row but loses the constraints that stop double bookings.
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stderr).toBe('');

    restored = await appOn(deployment.restoredEnv(restoredUrl));
    const ids = await bookingIdsOf(restored);
    for (const id of beforeDump) expect(ids.has(id), `booking ${id}`).toBe(true);
    // One snapshot: every API booking it holds has the outbox events written with it.
    const made = acknowledged.filter((id) => ids.has(id));
    const withEvents = await restored.db
      .knex('outbox_events')
      .whereIn('booking_id', made)
      .countDistinct({ count: 'booking_id' });
    expect(Number(withEvents[0]?.count)).toBe(made.length);

    const exclusions = await restored.db
      .knex('pg_constraint')
      .where({ contype: 'x' })
      .whereRaw("conrelid = 'bookings'::regclass")
      .orderBy('conname')
      .pluck('conname');
    expect(exclusions).toEqual(['bookings_no_mentor_overlap', 'bookings_no_student_overlap']);

    // Sequences come back where they were: a new booking neither collides with a restored id nor
    // fails on the outbox row it writes beside it. The restored server's own open slots leave out
    // what the copy holds.
    const fresh = (await freeBookings(restored))[0];
    expect(fresh).toBeDefined();
    const again = await book(restored, fresh as WantedBooking, 5);
    expect(again.statusCode, again.body).toBe(201);
    expect(again.json().booking_id).toBeGreaterThan(Math.max(...ids));
    const events = await restored.db.knex('outbox_events').where({ booking_id: again.json().booking_id });
    expect(events.length).toBeGreaterThan(0);
  } finally {
    await restored?.close();
    await live.close();
  }
}

describe.runIf(dbClient === 'pg')(
  'pg_dump and pg_restore as docs/operations.md says (PostgreSQL only)',
  () => {
    it('a database of its own: the restored copy holds every booking acknowledged before the dump', async () => {
      const liveName = scratchDatabaseName();
      await withPgAdmin((knex) => knex.raw('CREATE DATABASE ??', [liveName]));
      const liveUrl = urlOfDatabase(liveName);
      await dumpUnderLoadAndRestore({
        liveEnv: { DATABASE_URL: liveUrl },
        liveUrl,
        dumpOptions: [],
        restoredEnv: (restoredUrl) => ({ DATABASE_URL: restoredUrl }),
      });
    });

    it('one schema (DB_SCHEMA) of a shared database, dumped alone with the extension it needs', async () => {
      const schema = await createTestSchema();
      try {
        await dumpUnderLoadAndRestore({
          liveEnv: { DATABASE_URL: pgTestUrl as string, DB_SCHEMA: schema },
          liveUrl: pgTestUrl as string,
          dumpOptions: [`--schema=${schema}`, '--extension=btree_gist'],
          restoredEnv: (restoredUrl) => ({ DATABASE_URL: restoredUrl, DB_SCHEMA: schema }),
        });
      } finally {
        await dropTestSchema(schema);
      }
    });
  },
);

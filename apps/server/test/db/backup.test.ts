import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { asAdmin, NOW, TEST_ADMIN_TOKEN } from '../support/app.js';
import { freeBookings } from '../support/free-slots.js';

/**
 * `npm run backup -- <file>` (src/db/backup-cli.ts) run as operators run it, in a process of its
 * own, against a SQLite database a server keeps booking into; the copy is then served by a new
 * server, as after a lost disk.
 */

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../src/db/backup-cli.ts', import.meta.url));

let dir: string;
let source: string;
let app: FastifyInstance;

const envOf = (filename: string) => ({
  NODE_ENV: 'test',
  DB_CLIENT: 'better-sqlite3',
  DB_FILENAME: filename,
  SEED_DEMO: 'true',
  ADMIN_TOKEN: TEST_ADMIN_TOKEN,
  PASSWORD_SCRYPT_LOG2N: '10',
  RATE_LIMIT_MAX: '100000',
});

function backup(destination: string, env: Record<string, string> = envOf(source)) {
  return run(process.execPath, ['--conditions=source', '--import', 'tsx', cli, destination], {
    env: { ...process.env, ...env },
  }).then(
    (result) => ({ code: 0, ...result }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'backup-'));
  source = join(dir, 'live.sqlite');
  app = await buildApp(loadConfig(envOf(source)), { now: () => NOW });
});
afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run backup', () => {
  it('copies a database under booking load: the copy holds every booking acknowledged before it began', async () => {
    const bookings = await freeBookings(app);
    expect(bookings.length).toBeGreaterThan(60);
    const acknowledged: number[] = [];
    let next = 0;
    let stop = false;
    // Four clients booking one after another, as long as the test lets them.
    const clients = Array.from({ length: 4 }, async (_, client) => {
      while (!stop && next < bookings.length) {
        const wanted = bookings[next++] as (typeof bookings)[number];
        const response = await app.inject({
          method: 'POST',
          url: '/api/bookings',
          headers: asAdmin,
          payload: { ...wanted, student_id: 1 + (client % 5), duration: 30 },
        });
        if (response.statusCode === 201) acknowledged.push(response.json().booking_id);
      }
    });
    while (acknowledged.length < 20) await new Promise((resolve) => setTimeout(resolve, 10));
    const beforeBackup = [...acknowledged];
    const destination = join(dir, 'backups', 'copy.sqlite');
    const result = await backup(destination);
    const duringBackup = acknowledged.length - beforeBackup.length;
    stop = true;
    await Promise.all(clients);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^Backed up .* to .*copy\.sqlite: \d+ bookings, \d+ pages \(\d+ bytes\), integrity ok/,
    );
    // The load went on while the copy was taken.
    expect(duringBackup).toBeGreaterThan(0);
    // One self-contained file: nothing left beside it.
    for (const leftover of ['.partial', '.partial-wal', '.partial-shm', '-wal', '-shm']) {
      expect(existsSync(`${destination}${leftover}`), leftover).toBe(false);
    }

    // Restored: a new server on the copy, as after a lost disk.
    const restored = await buildApp(loadConfig(envOf(destination)), { now: () => NOW });
    try {
      const ids = new Set(
        (await restored.db.knex('bookings').select('id')).map((row: { id: number }) => row.id),
      );
      for (const id of beforeBackup) expect(ids.has(id), `booking ${id}`).toBe(true);
      // A consistent copy: every booking it holds that the API made has its events with it.
      const made = acknowledged.filter((id) => ids.has(id));
      const withEvents = await restored.db
        .knex('outbox_events')
        .whereIn('booking_id', made)
        .countDistinct({ count: 'booking_id' });
      expect(Number(withEvents[0]?.count)).toBe(made.length);
      // And it takes bookings again.
      const more = await restored.inject({
        method: 'POST',
        url: '/api/bookings',
        headers: asAdmin,
        payload: { ...(bookings.at(-1) as (typeof bookings)[number]), student_id: 5, duration: 30 },
      });
      expect([201, 409]).toContain(more.statusCode);
    } finally {
      await restored.close();
    }
  });

  it('refuses to overwrite a file, and says what to do on PostgreSQL or without a file', async () => {
    const taken = join(dir, 'taken.sqlite');
    writeFileSync(taken, 'something precious');
    const overwrite = await backup(taken);
    expect(overwrite.code).toBe(1);
    expect(overwrite.stderr).toMatch(/exists already: name a new file/);

    const postgres = await backup(join(dir, 'pg.sqlite'), {
      DB_CLIENT: 'pg',
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
    });
    expect(postgres.code).toBe(1);
    expect(postgres.stderr).toMatch(/pg_dump/);

    const missing = await backup(join(dir, 'none.sqlite'), envOf(join(dir, 'no-such.sqlite')));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No database at .*no-such\.sqlite/);

    const usage = await backup('');
    expect(usage.code).toBe(1);
    expect(usage.stderr).toMatch(/Usage: npm run backup -- <file>/);
  });
});

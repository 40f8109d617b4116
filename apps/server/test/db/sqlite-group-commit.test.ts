import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/connection.js';
import type { DirectConnection } from '../../src/db/sqlite-group-commit.js';

/**
 * Group commit on better-sqlite3 (db/sqlite-group-commit.ts) and WAL checkpoints on a thread of their
 * own (db/sqlite-checkpoints.ts), on a real database file. The booking rules that run on them are
 * tested through the API in test/http; here, what the mechanism itself promises.
 */

let dir: string;
let db: Database;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'group-commit-'));
  db = openDatabase({ client: 'better-sqlite3', filename: join(dir, 'test.sqlite') });
  await db.knex.raw('CREATE TABLE items (name TEXT PRIMARY KEY, size INTEGER, payload BLOB)');
});
afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

const groupCommit = () => {
  if (!db.groupCommit) throw new Error('better-sqlite3 databases commit in groups');
  return db.groupCommit;
};

const insert = (name: string) => async (connection: DirectConnection) => {
  connection.run('INSERT INTO items (name) VALUES (?)', name);
  return name;
};

async function names(): Promise<string[]> {
  return (await db.knex('items').select('name').orderBy('name')).map((row) => row.name);
}

describe('writes that arrive together', () => {
  it('commit together, each answered with its own result, a refused one alone undone', async () => {
    const before = groupCommit().stats;
    const outcomes = await Promise.allSettled([
      groupCommit().run(insert('a')),
      groupCommit().run(insert('b')),
      // Writes one row, then is refused by the table (a duplicate name): both undone, only for it.
      groupCommit().run(async (connection) => {
        connection.run('INSERT INTO items (name) VALUES (?)', 'c');
        connection.run('INSERT INTO items (name) VALUES (?)', 'a');
      }),
      groupCommit().run(insert('d')),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((outcomes[0] as PromiseFulfilledResult<string>).value).toBe('a');
    expect(String((outcomes[2] as PromiseRejectedResult).reason)).toMatch(
      /UNIQUE constraint failed: items.name/,
    );
    expect(await names()).toEqual(['a', 'b', 'd']);
    const after = groupCommit().stats;
    expect(after.commits - before.commits).toBe(1);
    expect(after.units - before.units).toBe(4);
  });

  it('undoes a unit that throws after writing, and a savepoint inside it alone when that throws', async () => {
    const outcomes = await Promise.allSettled([
      groupCommit().run(async (connection) => {
        connection.run('INSERT INTO items (name) VALUES (?)', 'kept');
        await connection
          .savepoint(async () => {
            connection.run('INSERT INTO items (name) VALUES (?)', 'attempt');
            throw new Error('refused attempt');
          })
          .catch(() => undefined);
        connection.run('INSERT INTO items (name) VALUES (?)', 'after the attempt');
      }),
      groupCommit().run(async (connection) => {
        connection.run('INSERT INTO items (name) VALUES (?)', 'lost');
        throw new Error('the unit changed its mind');
      }),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected']);
    expect(await names()).toEqual(['after the attempt', 'kept']);
  });

  it('leaves every answered write visible to a reader on another connection', async () => {
    const written = await Promise.all(
      Array.from({ length: 50 }, (_, i) => groupCommit().run(insert(`n${i}`))),
    );
    const [row] = await db.knex('items').count({ count: '*' });
    expect(Number(row?.count)).toBe(written.length);
  });

  it('refuses every unit of a batch whose transaction ended before its commit, also those refused for another reason', async () => {
    const outcomes = await Promise.allSettled([
      groupCommit().run(insert('a')),
      // Refused only because of the first unit's row, which is never kept.
      groupCommit().run(insert('a')),
      // Ends the transaction under the batch, and swallows nothing: it answers normally.
      groupCommit().run(async (connection) => {
        connection.run('ROLLBACK');
        return 'ended it';
      }),
      groupCommit().run(insert('never run')),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'rejected',
      'rejected',
      'rejected',
      'rejected',
    ]);
    // One answer for all: the failure that ended the transaction (its savepoint was gone with it).
    const reasons = new Set(outcomes.map((outcome) => (outcome as PromiseRejectedResult).reason));
    expect(reasons.size).toBe(1);
    expect(String([...reasons][0])).toMatch(/no such savepoint/);
    expect(await names()).toEqual([]);
    // The next batch begins afresh on the same connection.
    await expect(groupCommit().run(insert('b'))).resolves.toBe('b');
    expect(await names()).toEqual(['b']);
  });

  it('waits for a knex transaction of this process, then sees what it committed', async () => {
    let releaseKnex: () => void = () => undefined;
    const knexHeld = new Promise<void>((resolve) => {
      releaseKnex = resolve;
    });
    const knexWrite = db.knex.transaction(async (trx) => {
      await trx('items').insert({ name: 'by knex' });
      await knexHeld;
    });
    // Let the knex transaction begin and take the write turn first.
    await new Promise((resolve) => setTimeout(resolve, 20));
    let seen: number | undefined;
    const unit = groupCommit().run(async (connection) => {
      seen = connection.get<{ count: number }>('SELECT count(*) AS count FROM items')?.count;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(seen).toBeUndefined();
    releaseKnex();
    await Promise.all([knexWrite, unit]);
    expect(seen).toBe(1);
  });

  it('counts its statements as knex counts its own, so cached answers see the change', async () => {
    const statements: string[] = [];
    db.knex.on('query', (query: { sql: string }) => statements.push(query.sql));
    const versionBefore = await db.dataVersion();
    await groupCommit().run(insert('counted'));
    expect(statements).toEqual(
      expect.arrayContaining(['BEGIN IMMEDIATE', 'INSERT INTO items (name) VALUES (?)', 'COMMIT']),
    );
    expect(await db.dataVersion()).not.toBe(versionBefore);
  });
});

describe('WAL checkpoints', () => {
  it('are taken by their own thread, long before a commit of the server would take one', async () => {
    const file = join(dir, 'test.sqlite');
    const sizeBefore = statSync(file).size;
    // About 300 pages: fewer than SQLite's own default (1,000) and the server's connections' (10,000)
    // make a commit checkpoint, so only the checkpoint thread moves them into the database file.
    const blob = Buffer.alloc(4000, 1);
    for (let batch = 0; batch < 3; batch++) {
      await groupCommit().run(async (connection) => {
        for (let i = 0; i < 100; i++) {
          connection.run('INSERT INTO items (name, payload) VALUES (?, ?)', `blob-${batch}-${i}`, blob);
        }
      });
    }
    const deadline = Date.now() + 5000;
    while (statSync(file).size < sizeBefore + 1_000_000 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(statSync(file).size).toBeGreaterThan(sizeBefore + 1_000_000);
  });
});

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { Config } from '../config.js';

export type Dialect = 'sqlite' | 'pg';

export interface Database {
  knex: Knex;
  dialect: Dialect;
  close(): Promise<void>;
}

const SQLITE_BUSY_TIMEOUT_MS = 5000;

interface BetterSqliteConnection {
  pragma(statement: string): unknown;
}
interface NodeSqliteConnection {
  exec(sql: string, callback: (error: Error | null) => void): void;
}

/** How long a transaction keeps trying to begin while other processes write (each try waits the busy timeout). */
const SQLITE_BEGIN_DEADLINE_MS = 30_000;

// busy_timeout first: switching to WAL needs a lock that another process starting at the same time
// may hold for a moment.
const sqlitePragmas = [
  `busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`,
  'journal_mode = WAL',
  'foreign_keys = ON',
  'synchronous = NORMAL',
];

/** Knex options for the configured database; SQLite files get their folder created, never a reset. */
export function knexConfigFor(database: Config['database']): Knex.Config {
  if (database.client === 'pg') {
    return {
      client: 'pg',
      connection: { connectionString: database.url, statement_timeout: database.statementTimeoutMs },
      pool: { min: 0, max: database.poolMax },
      // knex sets it on every new connection; unqualified table names then resolve in that schema only.
      ...(database.schema ? { searchPath: [database.schema] } : {}),
    };
  }
  const filename = database.filename === ':memory:' ? ':memory:' : resolve(database.filename);
  if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
  if (database.client === 'better-sqlite3') {
    return {
      client: 'better-sqlite3',
      connection: { filename },
      useNullAsDefault: true,
      // One connection per process: SQLite has one writer anyway, and it serialises our transactions.
      pool: {
        min: 1,
        max: 1,
        afterCreate(connection: BetterSqliteConnection, done: (error: Error | null, c: unknown) => void) {
          try {
            for (const pragma of sqlitePragmas) connection.pragma(pragma);
            done(null, connection);
          } catch (error) {
            done(error as Error, connection);
          }
        },
      },
    };
  }
  return {
    client: 'sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(connection: NodeSqliteConnection, done: (error: Error | null, c: unknown) => void) {
        connection.exec(sqlitePragmas.map((pragma) => `PRAGMA ${pragma};`).join(' '), (error) =>
          done(error, connection),
        );
      },
    },
  };
}

export function openDatabase(database: Config['database']): Database {
  const knex = knexFactory(knexConfigFor(database));
  if (database.client !== 'pg') beginSqliteTransactionsImmediately(knex);
  return {
    knex,
    dialect: database.client === 'pg' ? 'pg' : 'sqlite',
    close: () => knex.destroy(),
  };
}

interface KnexTransactionInternals {
  begin(connection: unknown): Promise<unknown>;
  trxClient: { query(connection: unknown, sql: string): Promise<unknown> };
}

/**
 * Every SQLite transaction begins IMMEDIATE, taking the database's write lock at BEGIN instead of at
 * its first write. knex begins them deferred, and a deferred transaction that reads (the booking's
 * overlap check) and then writes fails at once with SQLITE_BUSY ("database is locked") whenever
 * another process wrote in between: its snapshot is stale, so the busy timeout cannot help, and the
 * request ended as a 500. Several server processes on one SQLite file hit that under load (see
 * test/multiprocess). Begun IMMEDIATE, a transaction waits its turn (busy_timeout, then retries here)
 * and then reads the latest data, so its checks and writes see everything committed before it.
 * Within one process nothing changes: its single connection runs one transaction at a time anyway.
 * Savepoints (nested transactions) never call begin.
 */
function beginSqliteTransactionsImmediately(knex: Knex): void {
  const client = knex.client as { transaction(...args: unknown[]): KnexTransactionInternals };
  const makeTransaction = client.transaction;
  client.transaction = function transaction(this: unknown, ...args: unknown[]) {
    const trx = makeTransaction.apply(this, args);
    trx.begin = (connection) => beginImmediate(trx, connection);
    return trx;
  };
}

async function beginImmediate(trx: KnexTransactionInternals, connection: unknown): Promise<unknown> {
  const deadline = Date.now() + SQLITE_BEGIN_DEADLINE_MS;
  for (let attempt = 1; ; attempt += 1) {
    try {
      // Straight to the connection's client: knex's own trx.query would fail the transaction at the first error.
      return await trx.trxClient.query(connection, 'BEGIN IMMEDIATE;');
    } catch (error) {
      if (!isSqliteBusy(error) || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(25 * attempt, 250)));
    }
  }
}

function isSqliteBusy(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) ||
    (typeof message === 'string' && message.includes('database is locked'))
  );
}

/** Instants come back as Date (PostgreSQL) or epoch milliseconds (SQLite). */
export function instantFromDb(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (typeof value === 'bigint') return Number(value);
  throw new TypeError(`Not an instant: ${String(value)}`);
}

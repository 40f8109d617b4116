import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config.js';

export type Dialect = 'sqlite' | 'pg';

export interface Database {
  knex: Knex;
  dialect: Dialect;
  /**
   * A token that changes whenever committed data may have changed, by this process or any other
   * sharing the database; null when it cannot be told. Read it before reading the data an answer is
   * computed from: an answer is then never stored under a token newer than its data.
   */
  dataVersion(): Promise<string | null>;
  close(): Promise<void>;
}

const SQLITE_BUSY_TIMEOUT_MS = 5000;

interface BetterSqliteConnection {
  pragma(statement: string): unknown;
  prepare(sql: string): unknown;
}

/** Prepared statements kept per connection; knex prepares every query anew, which costs more than running it. */
const PREPARED_STATEMENTS_KEPT = 500;

/**
 * Reuses better-sqlite3's prepared statements by SQL text. knex runs each statement to completion
 * (`all`/`run`, synchronous) before the next one starts, so one statement object never serves two
 * queries at once; SQLite re-prepares a statement by itself when a migration changes the schema.
 */
function reusePreparedStatements(connection: BetterSqliteConnection): void {
  const prepare = connection.prepare.bind(connection);
  const statements = new LRUCache<string, object>({ max: PREPARED_STATEMENTS_KEPT });
  connection.prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = prepare(sql) as object;
      statements.set(sql, statement);
    }
    return statement;
  };
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
export function knexConfigFor(
  database: Config['database'],
  onBetterSqliteConnection: (connection: BetterSqliteConnection) => void = () => {},
): Knex.Config {
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
            reusePreparedStatements(connection);
            onBetterSqliteConnection(connection);
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
  // better-sqlite3 answers synchronously: its data version is read straight from the connection,
  // which costs a fraction of a query through knex's pool.
  let betterSqliteVersion: { get(): unknown } | undefined;
  const knex = knexFactory(
    knexConfigFor(database, (connection) => {
      betterSqliteVersion = connection.prepare('PRAGMA data_version') as { get(): unknown };
    }),
  );
  const dialect: Dialect = database.client === 'pg' ? 'pg' : 'sqlite';
  if (dialect === 'sqlite') beginSqliteTransactionsImmediately(knex);
  const readExternalVersion =
    database.client === 'better-sqlite3'
      ? async () => {
          if (!betterSqliteVersion) await connectionOf(knex);
          return (betterSqliteVersion?.get() as { data_version?: number } | undefined)?.data_version;
        }
      : externalVersionThroughKnex(knex, dialect);
  return {
    knex,
    dialect,
    dataVersion: dataVersionReader(knex, readExternalVersion),
    close: () => knex.destroy(),
  };
}

/** The pool's one better-sqlite3 connection, created if it is not yet. */
async function connectionOf(knex: Knex): Promise<BetterSqliteConnection> {
  const client = knex.client as {
    acquireConnection(): Promise<BetterSqliteConnection>;
    releaseConnection(connection: unknown): Promise<void>;
  };
  const connection = await client.acquireConnection();
  await client.releaseConnection(connection);
  return connection;
}

function externalVersionThroughKnex(knex: Knex, dialect: Dialect): () => Promise<unknown> {
  const sql = dialect === 'pg' ? 'select pg_current_snapshot()::text as version' : 'PRAGMA data_version';
  return async () => {
    const result = await knex.raw(sql);
    const row = (dialect === 'pg' ? result.rows[0] : result[0]) as Record<string, unknown> | undefined;
    return row ? Object.values(row)[0] : undefined;
  };
}

const READ_ONLY_STATEMENT = /^\s*(select|pragma)\b/i;

/**
 * The data version: statements this process sent that may write (counted as they are sent) and the
 * database's own sign of what others committed. SQLite's `PRAGMA data_version` changes when another
 * connection commits (never for this one's own commits, hence the count). On PostgreSQL the current
 * snapshot (`xmin:xmax:in-progress ids`) changes whenever a writing transaction starts or ends, in
 * any process, including this one; its commit counts once it is visible to new snapshots, unlike
 * the WAL position, which moves a moment before.
 */
function dataVersionReader(
  knex: Knex,
  readExternalVersion: () => Promise<unknown>,
): () => Promise<string | null> {
  let statementsThatMayWrite = 0;
  knex.on('query', (query: { sql?: string }) => {
    if (!READ_ONLY_STATEMENT.test(query.sql ?? '')) statementsThatMayWrite += 1;
  });
  let unavailable = false;
  return async () => {
    if (unavailable) return null;
    const local = statementsThatMayWrite;
    try {
      const external = await readExternalVersion();
      return external === undefined || external === null ? null : `${local}:${String(external)}`;
    } catch (error) {
      // PostgreSQL before 13 has no pg_current_snapshot(): answers are then always computed afresh.
      if ((error as { code?: unknown }).code === '42883') unavailable = true;
      return null;
    }
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

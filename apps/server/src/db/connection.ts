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

const sqlitePragmas = [
  'journal_mode = WAL',
  'foreign_keys = ON',
  `busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`,
  'synchronous = NORMAL',
];

/** Knex options for the configured database; SQLite files get their folder created, never a reset. */
export function knexConfigFor(database: Config['database']): Knex.Config {
  if (database.client === 'pg') {
    return {
      client: 'pg',
      connection: { connectionString: database.url, statement_timeout: database.statementTimeoutMs },
      pool: { min: 0, max: database.poolMax },
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
  return {
    knex,
    dialect: database.client === 'pg' ? 'pg' : 'sqlite',
    close: () => knex.destroy(),
  };
}

/** Instants come back as Date (PostgreSQL) or epoch milliseconds (SQLite). */
export function instantFromDb(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (typeof value === 'bigint') return Number(value);
  throw new TypeError(`Not an instant: ${String(value)}`);
}

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config.js';
import { SERVER_AUTOCHECKPOINT_PAGES, startBackgroundCheckpoints } from './sqlite-checkpoints.js';
import { SqliteGroupCommit } from './sqlite-group-commit.js';

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
  /**
   * Proves the database takes a write now: takes the write lock and stores a little in a transaction
   * it rolls back, so nothing stays. Throws the database's own error (full, read-only, busy...) if not.
   */
  checkWritable(): Promise<void>;
  /**
   * better-sqlite3 only: short write transactions run synchronously on prepared statements, several
   * to a commit (see sqlite-group-commit.ts). Absent on sqlite3 and PostgreSQL, which go through knex.
   */
  groupCommit?: SqliteGroupCommit;
  close(): Promise<void>;
}

/**
 * How long a request waits for the right to write: behind this process's other writes, then for
 * another process's write lock. Transactions hold the lock for milliseconds, but a burst queues many
 * (300 bookings at once on two processes take about 2.5 s here); a writer still waiting after 5 s is
 * facing something held far longer (a backup, a bulk job, an open shell) and gets 503 service_busy
 * with Retry-After. 5 s is also PostgreSQL's default statement timeout here (DB_STATEMENT_TIMEOUT_MS).
 */
export const SQLITE_WRITE_WAIT_MS = 5000;

/** Startup may wait longer: a process starting beside another waits for that one's migrations. */
export const SQLITE_STARTUP_WRITE_WAIT_MS = 30_000;

/**
 * Without openDatabase's asynchronous waiting (the knex CLI), SQLite itself waits this long, blocking.
 * openDatabase sets 0: SQLite's busy handler sleeps on the calling thread, which for better-sqlite3
 * is the event loop (every request stalls) and for sqlite3 a libuv worker (shared with crypto and fs).
 */
const BLOCKING_BUSY_TIMEOUT_MS = 5000;

/** Connections besides the writer's: in WAL mode reads go on while a writer waits for the lock. */
const SQLITE_READ_CONNECTIONS = 2;

/** Pauses between tries for a lock, as SQLite's own busy handler spaces them, then every 100 ms. */
const RETRY_DELAYS_MS = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100];

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
  get(sql: string, callback: (error: Error | null, row: unknown) => void): void;
}

function sqlitePragmas(waiting: SqliteWaiting): string[] {
  // busy_timeout first: with a blocking wait, switching to WAL (which needs a moment's exclusive
  // lock that another process starting at the same time may hold) then waits instead of failing.
  return [
    `busy_timeout = ${waiting.busyTimeoutMs}`,
    'journal_mode = WAL',
    'foreign_keys = ON',
    'synchronous = NORMAL',
    ...(waiting.autocheckpointPages === undefined
      ? []
      : [`wal_autocheckpoint = ${waiting.autocheckpointPages}`]),
  ];
}

export interface SqliteWaiting {
  /** SQLite's own, blocking wait for a lock (ms); 0 when the caller retries asynchronously. */
  busyTimeoutMs: number;
  /** Pool size: 1 for the knex CLI; a writer's and readers' connections for the server. */
  connections: number;
  /** WAL pages at which a commit checkpoints; SQLite's 1000 when unset (see sqlite-checkpoints.ts) */
  autocheckpointPages?: number;
}

/** The knex CLI's: one connection, SQLite waiting for locks itself. */
const blockingWaits: SqliteWaiting = { busyTimeoutMs: BLOCKING_BUSY_TIMEOUT_MS, connections: 1 };

/** Knex options for the configured database; SQLite files get their folder created, never a reset. */
export function knexConfigFor(database: Config['database'], waiting = blockingWaits): Knex.Config {
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
  const pragmas = sqlitePragmas(waiting);
  const setUp =
    database.client === 'better-sqlite3'
      ? async (connection: BetterSqliteConnection) => {
          for (const pragma of pragmas) connection.pragma(pragma);
          reusePreparedStatements(connection);
        }
      : (connection: NodeSqliteConnection) =>
          new Promise<void>((resolve, reject) =>
            connection.exec(pragmas.map((pragma) => `PRAGMA ${pragma};`).join(' '), (error) =>
              error ? reject(error) : resolve(),
            ),
          );
  return {
    client: database.client,
    connection: { filename },
    useNullAsDefault: true,
    pool: {
      // Each connection to :memory: is a database of its own: one connection holds it. The pool keeps
      // all its connections (min = max), so a connection's prepared statements live as long as it.
      min: filename === ':memory:' ? 1 : waiting.connections,
      max: filename === ':memory:' ? 1 : waiting.connections,
      afterCreate(connection: never, done: (error: Error | null, c: unknown) => void) {
        // The pragmas are idempotent: tried again as a whole while another process holds a lock.
        retryWhileBusy(() => setUp(connection), Date.now() + SQLITE_STARTUP_WRITE_WAIT_MS).then(
          () => done(null, connection),
          (error: Error) => done(error, connection),
        );
      },
    },
  };
}

/** A knex transaction, or a unit of a better-sqlite3 group commit (sqlite-group-commit.ts). */
export type WriteKind = 'transaction' | 'group_commit';

export interface OpenOptions {
  /** Told when the background checkpoints of a better-sqlite3 file fail (they are retried) */
  onCheckpointFailure?: (message: string) => void;
  /**
   * Told how long each write waited before it could begin: on SQLite for this process's write turn,
   * a connection and the database's write lock; on PostgreSQL for a pool connection.
   */
  onWriteWait?: (seconds: number, kind: WriteKind) => void;
}

export function openDatabase(database: Config['database'], options: OpenOptions = {}): Database {
  if (database.client === 'pg') {
    const knex = knexFactory(knexConfigFor(database));
    if (options.onWriteWait) timeTransactionWaits(knex, options.onWriteWait);
    return {
      knex,
      dialect: 'pg',
      dataVersion: dataVersionReader(knex, externalPgVersion(knex)),
      checkWritable: () => checkWritable(knex, 'pg'),
      close: () => knex.destroy(),
    };
  }
  const checkpointsApart = database.client === 'better-sqlite3' && database.filename !== ':memory:';
  const knex = knexFactory(
    knexConfigFor(database, {
      busyTimeoutMs: 0,
      connections: 1 + SQLITE_READ_CONNECTIONS,
      ...(checkpointsApart ? { autocheckpointPages: SERVER_AUTOCHECKPOINT_PAGES } : {}),
    }),
  );
  const checkpoints = checkpointsApart
    ? startBackgroundCheckpoints(resolve(database.filename), options.onCheckpointFailure ?? (() => {}))
    : undefined;
  retryStatementsWhileBusy(knex);
  const turns = new WriteTurns();
  beginSqliteTransactionsImmediately(knex, turns);
  const onWriteWait = options.onWriteWait;
  // After the line above, so that the wait timed includes the turn and BEGIN IMMEDIATE it adds.
  if (onWriteWait) timeTransactionWaits(knex, onWriteWait);
  const versions = sqliteVersionReader(knex, database.filename === ':memory:');
  const groupCommit =
    database.client === 'better-sqlite3'
      ? new SqliteGroupCommit(knex, {
          takeTurn: (deadline, waitMs) => turns.take(deadline, waitMs),
          retryWhileBusy,
          waitMs: SQLITE_WRITE_WAIT_MS,
          ...(onWriteWait ? { onUnitWaited: (seconds: number) => onWriteWait(seconds, 'group_commit') } : {}),
        })
      : undefined;
  return {
    knex,
    dialect: 'sqlite',
    ...(groupCommit ? { groupCommit } : {}),
    dataVersion: dataVersionReader(knex, versions.read),
    checkWritable: () => checkWritable(knex, 'sqlite'),
    close: async () => {
      await checkpoints?.stop();
      await versions.close();
      await knex.destroy();
    },
  };
}

/** A readiness probe waits this long for the write lock: probes are short-lived, and often time out at 1 s. */
const WRITABLE_CHECK_WAIT_MS = 500;

/**
 * Creates a scratch table and, on SQLite, stores two pages' worth in it, then rolls back: a database
 * at its size limit with no free page (SQLITE_FULL), read-only (SQLITE_READONLY; 25006 on a
 * PostgreSQL standby or read-only role) or failing to read its pages refuses this as it would a real
 * write. PostgreSQL's table is temporary, so probes of several processes never wait for each other.
 */
async function checkWritable(knex: Knex, dialect: Dialect): Promise<void> {
  const trx = await knex.transaction(waitingForWritesUpTo(WRITABLE_CHECK_WAIT_MS));
  try {
    if (dialect === 'pg') {
      await trx.raw('CREATE TEMPORARY TABLE readiness_probe (payload bytea) ON COMMIT DROP');
    } else {
      await trx.raw('CREATE TABLE readiness_probe (payload BLOB)');
      await trx.raw('INSERT INTO readiness_probe VALUES (zeroblob(8192))');
    }
  } finally {
    await trx.rollback();
  }
}

function externalPgVersion(knex: Knex): () => Promise<unknown> {
  return async () => {
    const result = await knex.raw('select pg_current_snapshot()::text as version');
    return result.rows[0]?.version;
  };
}

interface KnexSqliteClient {
  acquireRawConnection(): Promise<unknown>;
  destroyRawConnection(connection: unknown): Promise<void>;
  _query(connection: unknown, query: unknown): Promise<unknown>;
}

/**
 * SQLite's data version, read on a connection of its own that never writes: `PRAGMA data_version`
 * changes when any other connection commits, so every commit of this process's pool counts too, also
 * one made after a read on another connection had already started. (On a pool connection that had
 * just committed, its own commit would not count, and a read made meanwhile on another connection
 * could be kept under a version that never changes.) An in-memory database has one connection and
 * no other writer: the statements counted by dataVersionReader then tell everything.
 */
function sqliteVersionReader(
  knex: Knex,
  inMemory: boolean,
): { read(): Promise<unknown>; close(): Promise<void> } {
  if (inMemory) return { read: async () => 0, close: async () => {} };
  const client = knex.client as KnexSqliteClient;
  let opened: Promise<{ read(): Promise<unknown>; connection: unknown }> | undefined;
  const open = async () => {
    const connection = await client.acquireRawConnection();
    if (knex.client.config.client === 'better-sqlite3') {
      // As on every server connection: never sleep in SQLite's busy handler on the event loop.
      (connection as BetterSqliteConnection).pragma('busy_timeout = 0');
      // Synchronous and prepared once: a fraction of a query through knex's pool.
      const statement = (connection as BetterSqliteConnection).prepare('PRAGMA data_version') as {
        get(): { data_version?: number } | undefined;
      };
      return { connection, read: async () => statement.get()?.data_version };
    }
    const reader = connection as NodeSqliteConnection;
    await new Promise<void>((resolve, reject) =>
      reader.exec('PRAGMA busy_timeout = 0', (error) => (error ? reject(error) : resolve())),
    );
    const read = () =>
      new Promise<unknown>((resolve, reject) =>
        reader.get('PRAGMA data_version', (error, row) =>
          error ? reject(error) : resolve((row as { data_version?: number } | undefined)?.data_version),
        ),
      );
    return { connection, read };
  };
  return {
    async read() {
      if (!opened) {
        opened = open();
        // A connection that failed to open is tried again at the next read, not kept failed.
        opened.catch(() => {
          opened = undefined;
        });
      }
      return (await opened).read();
    },
    async close() {
      if (opened) await client.destroyRawConnection((await opened).connection);
    },
  };
}

const READ_ONLY_STATEMENT = /^\s*(select|pragma)\b/i;

/**
 * The data version: statements this process sent that may write (counted as they are sent) and the
 * database's own sign of what others committed. SQLite's `PRAGMA data_version` changes when another
 * connection commits (see sqliteVersionReader). On PostgreSQL the current snapshot (`xmin:xmax:
 * in-progress ids`) changes whenever a writing transaction starts or ends, in any process, including
 * this one; its commit counts once it is visible to new snapshots, unlike the WAL position, which
 * moves a moment before.
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

/**
 * A statement outside a transaction that finds the database locked (a write while another
 * connection writes; rarely a read, while another process recovers the WAL) is tried again later,
 * without holding up the event loop, until the write wait is over. SQLite undoes a statement that
 * fails busy, so trying it again is safe. Statements inside a transaction run on knex's transaction
 * client, a copy of the prototype's, so this never applies to them: theirs waited at BEGIN IMMEDIATE.
 */
function retryStatementsWhileBusy(knex: Knex): void {
  const client = knex.client as KnexSqliteClient;
  const runStatement = client._query.bind(client);
  client._query = (connection, query) =>
    retryWhileBusy(() => runStatement(connection, query), Date.now() + SQLITE_WRITE_WAIT_MS);
}

/** Tries again, at growing intervals, while SQLite answers busy and the deadline is not reached. */
async function retryWhileBusy<T>(attempt: () => Promise<T>, deadline: number): Promise<T> {
  for (let tries = 0; ; tries += 1) {
    try {
      return await attempt();
    } catch (error) {
      const left = deadline - Date.now();
      if (!isSqliteBusy(error) || left <= 0) throw error;
      await sleep(Math.min(RETRY_DELAYS_MS[tries] ?? 100, left));
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A write that could not begin in time; it carries SQLite's busy code, so callers map it alike. */
class WriteWaitExceeded extends Error {
  override name = 'WriteWaitExceeded';
  readonly code = 'SQLITE_BUSY';
  constructor(waitedMs: number) {
    super(`database is locked: no turn to write within ${waitedMs} ms`);
  }
}

/**
 * This process's transactions, one at a time and in arrival order, each on whichever pool connection
 * is free: the others stay free for reads. A transaction waiting its turn holds no connection.
 */
class WriteTurns {
  #taken = false;
  readonly #waiting: (() => void)[] = [];

  /** Resolves with the end of the turn once it is this caller's; rejects if the deadline comes first. */
  take(deadline: number, waitMs: number): Promise<() => void> {
    if (!this.#taken) {
      this.#taken = true;
      return Promise.resolve(this.#ending());
    }
    return new Promise((resolve, reject) => {
      const start = () => {
        clearTimeout(timer);
        resolve(this.#ending());
      };
      const timer = setTimeout(
        () => {
          this.#waiting.splice(this.#waiting.indexOf(start), 1);
          reject(new WriteWaitExceeded(waitMs));
        },
        Math.max(0, deadline - Date.now()),
      );
      this.#waiting.push(start);
    });
  }

  #ending(): () => void {
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#taken = false;
    };
  }
}

/** Transaction options for a write that may wait longer than a request's (e.g. migrations at startup). */
export function waitingForWritesUpTo(ms: number): Knex.TransactionConfig {
  return Object.assign({} as Knex.TransactionConfig, { writeWaitMs: ms });
}

interface KnexTransactionInternals {
  acquireConnection(config: unknown, onAcquire: unknown): Promise<unknown>;
  begin(connection: unknown): Promise<unknown>;
  trxClient: { query(connection: unknown, sql: string): Promise<unknown> };
}

/**
 * Every SQLite transaction waits for its turn in this process, then begins IMMEDIATE, taking the
 * database's write lock at BEGIN instead of at its first write. knex begins them deferred, and a
 * deferred transaction that reads (the booking's overlap check) and then writes fails at once with
 * SQLITE_BUSY ("database is locked") whenever another process wrote in between: its snapshot is
 * stale, so waiting cannot help, and the request ended as a 500. Several server processes on one
 * SQLite file hit that under load (see test/multiprocess). Begun IMMEDIATE, a transaction waits
 * (asynchronously, see retryWhileBusy) and then reads the latest data, so its checks and writes see
 * everything committed before it. The whole wait, turn and lock, is bounded by the write wait; past
 * it the transaction fails busy (503 service_busy). Savepoints (nested transactions) run on knex's
 * transaction client and never come here. Group commits (sqlite-group-commit.ts) take the same turns.
 */
function beginSqliteTransactionsImmediately(knex: Knex, turns: WriteTurns): void {
  const client = knex.client as { transaction(...args: unknown[]): KnexTransactionInternals };
  const makeTransaction = client.transaction;
  client.transaction = function transaction(this: unknown, ...args: unknown[]) {
    const trx = makeTransaction.apply(this, args);
    const waitMs = (args[1] as { writeWaitMs?: number } | undefined)?.writeWaitMs ?? SQLITE_WRITE_WAIT_MS;
    const deadline = Date.now() + waitMs;
    const acquireConnection = trx.acquireConnection.bind(trx);
    trx.acquireConnection = async (config, onAcquire) => {
      const endTurn = await turns.take(deadline, waitMs);
      try {
        return await acquireConnection(config, onAcquire);
      } finally {
        endTurn();
      }
    };
    // Straight to the connection's client: knex's own trx.query would fail the transaction at the first error.
    trx.begin = (connection) =>
      retryWhileBusy(() => trx.trxClient.query(connection, 'BEGIN IMMEDIATE;'), deadline);
    return trx;
  };
}

/**
 * Tells `observe` how long each transaction waited from being asked for until its BEGIN was done,
 * or until waiting failed (no turn or no connection in time). Savepoints begin inside a transaction
 * already held, on knex's transaction client, and never come here.
 */
function timeTransactionWaits(knex: Knex, observe: (seconds: number, kind: WriteKind) => void): void {
  const client = knex.client as { transaction(...args: unknown[]): KnexTransactionInternals };
  const makeTransaction = client.transaction;
  client.transaction = function transaction(this: unknown, ...args: unknown[]) {
    const trx = makeTransaction.apply(this, args);
    const askedAt = performance.now();
    let timed = false;
    const waitEnded = () => {
      if (timed) return;
      timed = true;
      observe((performance.now() - askedAt) / 1000, 'transaction');
    };
    const begin = trx.begin.bind(trx);
    trx.begin = (connection) => begin(connection).finally(waitEnded);
    // The whole transaction runs inside acquireConnection: this only times a wait that failed before BEGIN.
    const acquireConnection = trx.acquireConnection.bind(trx);
    trx.acquireConnection = (config, onAcquire) => acquireConnection(config, onAcquire).finally(waitEnded);
    return trx;
  };
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

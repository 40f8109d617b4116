import type { Knex } from 'knex';

/**
 * Group commit for better-sqlite3: short write transactions that arrive together run on the writer
 * connection one after another inside ONE transaction, each in a savepoint of its own, and are
 * answered once that transaction has committed.
 *
 * Why: SQLite has one writer. Through knex every statement of a transaction is a promise, so a
 * transaction holds the write lock across many turns of the event loop, during which other requests
 * run, and the writer spends most of its time waiting for its own process. Here the statements are
 * prepared once and run synchronously (better-sqlite3 is synchronous), so a booking holds the lock
 * for the ~0.1 ms its statements take, and one BEGIN/COMMIT (one append to the WAL) serves every
 * booking that arrived during the same turn of the event loop.
 *
 * A unit of work gets a `DirectConnection` and may only use it: anything it awaits besides it (a
 * knex query, a network call) would hold the write lock across the wait, correct but slow. A unit
 * that throws is rolled back to its savepoint and answered with its error; the others still commit.
 */

export interface DirectStatementResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface DirectConnection {
  /** Set when a savepoint could not be rolled back: the batch's transaction is then not committed */
  readonly broken: Error | null;
  get<T>(sql: string, ...params: unknown[]): T | undefined;
  all<T>(sql: string, ...params: unknown[]): T[];
  run(sql: string, ...params: unknown[]): DirectStatementResult;
  /** Runs `work` in a savepoint: undone alone if it throws, which is rethrown. */
  savepoint<T>(work: () => Promise<T>): Promise<T>;
}

interface PreparedStatement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): DirectStatementResult;
}

export interface RawBetterSqlite {
  prepare(sql: string): unknown;
  readonly inTransaction: boolean;
}

/** What group commit needs of the database layer: its write turns and waiting for SQLite's lock. */
export interface WriterAccess {
  /** Resolves with the end of this process's write turn once it is ours; rejects past the deadline. */
  takeTurn(deadline: number, waitMs: number): Promise<() => void>;
  /** Tries `attempt` again while another process holds SQLite's write lock, up to the deadline. */
  retryWhileBusy<T>(attempt: () => Promise<T>, deadline: number): Promise<T>;
  waitMs: number;
  /** Told how long each unit waited, from its arrival until its batch began (or its wait failed) */
  onUnitWaited?: (seconds: number) => void;
}

interface Unit {
  work: (connection: DirectConnection) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  deadline: number;
  /** performance.now() when it arrived */
  arrivedAt: number;
}

/**
 * At most this many units share a commit: the batch runs without yielding, so its length is what the
 * other requests of the process wait; 64 bookings take about 6 ms here.
 */
const MOST_UNITS_PER_COMMIT = 64;

export class SqliteGroupCommit {
  readonly #knex: Knex;
  readonly #writer: WriterAccess;
  #queue: Unit[] = [];
  #draining = false;
  #commits = 0;
  #units = 0;

  constructor(knex: Knex, writer: WriterAccess) {
    this.#knex = knex;
    this.#writer = writer;
  }

  /** Runs `work` in the next group commit; resolves after that commit, with what `work` answered. */
  run<T>(work: (connection: DirectConnection) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        work,
        resolve: resolve as (value: unknown) => void,
        reject,
        deadline: Date.now() + this.#writer.waitMs,
        arrivedAt: performance.now(),
      });
      if (!this.#draining) {
        this.#draining = true;
        // After the I/O of this turn of the event loop, so that every unit it brought joins one commit.
        setImmediate(() => void this.#drain());
      }
    });
  }

  /** Commits made and units committed or refused in them, for the bench and the logs. */
  get stats(): { commits: number; units: number } {
    return { commits: this.#commits, units: this.#units };
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const first = this.#queue[0] as Unit;
        let endTurn: () => void;
        try {
          endTurn = await this.#writer.takeTurn(first.deadline, this.#writer.waitMs);
        } catch (error) {
          this.#failExpired(error);
          continue;
        }
        const batch = this.#queue.splice(0, MOST_UNITS_PER_COMMIT);
        try {
          await this.#commit(batch);
        } catch (error) {
          // #commit settles its units itself; this is only its own failure (the pool closed under it).
          for (const unit of batch) unit.reject(error);
        } finally {
          endTurn();
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  /** The write wait is over for the units whose deadline passed while this process's turn never came. */
  #failExpired(error: unknown): void {
    const now = Date.now();
    const expired = this.#queue.filter((unit) => unit.deadline <= now);
    this.#queue = this.#queue.filter((unit) => unit.deadline > now);
    const failed = expired.length > 0 ? expired : this.#queue.splice(0, 1);
    this.#waitEnded(failed);
    for (const unit of failed) unit.reject(error);
  }

  #waitEnded(units: readonly Unit[]): void {
    const observe = this.#writer.onUnitWaited;
    if (!observe) return;
    const now = performance.now();
    for (const unit of units) observe((now - unit.arrivedAt) / 1000);
  }

  async #commit(batch: Unit[]): Promise<void> {
    const client = this.#knex.client as {
      acquireConnection(): Promise<RawBetterSqlite>;
      releaseConnection(connection: RawBetterSqlite): Promise<void>;
    };
    let raw: RawBetterSqlite;
    try {
      raw = await client.acquireConnection();
    } catch (error) {
      this.#waitEnded(batch);
      for (const unit of batch) unit.reject(error);
      return;
    }
    let outcome: Settled;
    try {
      outcome = await this.#run(batch, raw);
    } catch (error) {
      // A transaction that could be neither committed nor rolled back: no unit is answered as done.
      outcome = { answered: [], refused: batch.map((unit) => ({ unit, error })) };
    } finally {
      await client.releaseConnection(raw);
    }
    for (const { unit, value } of outcome.answered) unit.resolve(value);
    for (const { unit, error } of outcome.refused) unit.reject(error);
  }

  /**
   * The batch in one transaction. Without a commit nothing of it was kept, so then every unit is
   * refused with that failure, also those refused for their own reasons: their reason may have been
   * another unit's write that was never kept (a key stored, a slot taken by a booking undone).
   */
  async #run(batch: Unit[], raw: RawBetterSqlite): Promise<Settled> {
    const connection = directConnectionOf(raw, this.#knex);
    const deadline = Math.min(...batch.map((unit) => unit.deadline));
    // A connection left inside a transaction (its rollback failed last time) is rolled back first.
    if (raw.inTransaction) connection.run('ROLLBACK');
    try {
      await this.#writer.retryWhileBusy(async () => connection.run('BEGIN IMMEDIATE'), deadline);
    } catch (error) {
      this.#waitEnded(batch);
      return { answered: [], refused: batch.map((unit) => ({ unit, error })) };
    }
    this.#waitEnded(batch);
    const answered: Settled['answered'] = [];
    const refused: Settled['refused'] = [];
    let lost: unknown = null;
    for (const unit of batch) {
      let failure: unknown = null;
      try {
        answered.push({ unit, value: await connection.savepoint(() => unit.work(connection)) });
      } catch (error) {
        failure = error;
        refused.push({ unit, error });
      }
      // Some errors (disk full, I/O) end the whole transaction: that error is then every unit's
      // answer (the API maps SQLite's errors to 503). A unit may also have swallowed one.
      if (!raw.inTransaction || connection.broken) {
        lost =
          connection.broken ??
          failure ??
          new Error('The transaction of a group commit ended before its commit');
        break;
      }
    }
    try {
      if (lost !== null) throw lost;
      connection.run('COMMIT');
      this.#commits += 1;
      this.#units += batch.length;
      return { answered, refused };
    } catch (error) {
      // Throws on when even the rollback fails: #commit then refuses everything and drops the connection.
      if (raw.inTransaction) connection.run('ROLLBACK');
      return { answered: [], refused: batch.map((unit) => ({ unit, error })) };
    }
  }
}

interface Settled {
  answered: Array<{ unit: Unit; value: unknown }>;
  refused: Array<{ unit: Unit; error: unknown }>;
}

/**
 * Statements run straight on better-sqlite3, prepared once per connection (the connection's
 * `prepare` keeps them, see connection.ts). Each is reported as knex reports its own, so what counts
 * statements (the data version of cached answers, the bench) sees these too.
 */
function directConnectionOf(raw: RawBetterSqlite, knex: Knex): DirectConnection {
  let depth = 0;
  let broken: Error | null = null;
  const statement = (sql: string, params: unknown[]) => {
    if (broken) throw broken;
    knex.emit('query', { sql, bindings: params, method: 'raw' });
    return raw.prepare(sql) as PreparedStatement;
  };
  const connection: DirectConnection = {
    get broken() {
      return broken;
    },
    get: <T>(sql: string, ...params: unknown[]) => statement(sql, params).get(...params) as T | undefined,
    all: <T>(sql: string, ...params: unknown[]) => statement(sql, params).all(...params) as T[],
    run: (sql, ...params) => statement(sql, params).run(...params),
    async savepoint<T>(work: () => Promise<T>): Promise<T> {
      depth += 1;
      const name = `unit_${depth}`;
      try {
        connection.run(`SAVEPOINT ${name}`);
        const value = await work();
        connection.run(`RELEASE ${name}`);
        return value;
      } catch (error) {
        if (raw.inTransaction && !broken) {
          try {
            connection.run(`ROLLBACK TO ${name}`);
            connection.run(`RELEASE ${name}`);
          } catch (rollbackError) {
            // The unit's writes could not be undone alone: nothing of the batch may be committed.
            broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
          }
        }
        throw error;
      } finally {
        depth -= 1;
      }
    },
  };
  return connection;
}

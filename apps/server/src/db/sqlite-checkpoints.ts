import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints of a better-sqlite3 database, on a thread of their own.
 *
 * In WAL mode with `synchronous = NORMAL` a commit appends to the WAL without waiting for the disk;
 * the wait comes when the WAL is copied back into the database file (a checkpoint), which fsyncs.
 * SQLite runs that checkpoint inside whichever commit crosses `wal_autocheckpoint` pages, and
 * better-sqlite3 runs commits on the event loop: under booking load that was one commit in a hundred
 * taking 20–30 ms, with every request of the process waiting (the bench's p99). Here a worker thread
 * with its own connection checkpoints every `intervalMs` (PASSIVE: it never waits for, nor blocks,
 * readers and writers), and the server's connections keep autocheckpoint only as a high safety net
 * (SERVER_AUTOCHECKPOINT_PAGES) should this thread fall behind or stop.
 */

/** What the server's own connections still checkpoint at, should the worker fall behind (~40 MB of WAL). */
export const SERVER_AUTOCHECKPOINT_PAGES = 10_000;

const CHECKPOINT_INTERVAL_MS = 200;

/** A checkpoint that keeps failing is reported at most this often. */
const FAILURE_REPORT_INTERVAL_MS = 60_000;

// CommonJS, as an eval'd worker is: the driver's path comes resolved from the server's own location.
// The database is opened at the first tick, and again after a failure: it may not exist yet.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
let db = null;
let reportedAt = 0;
const timer = setInterval(() => {
  try {
    if (db === null) {
      db = new Database(workerData.filename, { fileMustExist: true });
      // Its own thread: waiting here for a lock holds up nothing else.
      db.pragma('busy_timeout = 5000');
    }
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    if (db !== null && !db.open) db = null;
    if (Date.now() - reportedAt >= workerData.reportIntervalMs) {
      reportedAt = Date.now();
      parentPort.postMessage({ failed: String(error && error.message) });
    }
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  if (db !== null) db.close();
  parentPort.close();
});
`;

export interface BackgroundCheckpoints {
  stop(): Promise<void>;
}

export function startBackgroundCheckpoints(
  filename: string,
  onFailure: (message: string) => void,
  intervalMs = CHECKPOINT_INTERVAL_MS,
): BackgroundCheckpoints {
  const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');
  let stopping = false;
  let worker: Worker;
  let exited: Promise<void>;
  const start = () => {
    worker = new Worker(workerSource, {
      eval: true,
      workerData: { driverPath, filename, intervalMs, reportIntervalMs: FAILURE_REPORT_INTERVAL_MS },
    });
    worker.on('message', (message: { failed?: string }) => {
      if (message.failed) onFailure(message.failed);
    });
    worker.on('error', (error) => onFailure(error.message));
    // Never the reason the process stays up.
    worker.unref();
    exited = new Promise<void>((resolve) =>
      worker.once('exit', () => {
        resolve();
        // A thread that died is started again: without it the event loop would checkpoint again.
        if (!stopping) setTimeout(start, 1000).unref();
      }),
    );
  };
  start();
  return {
    async stop() {
      stopping = true;
      worker.postMessage('stop');
      await exited;
    },
  };
}

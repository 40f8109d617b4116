import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';

/** The few methods of better-sqlite3 a backup uses (the package ships no types of its own). */
interface SqliteFile {
  pragma(statement: string, options?: { simple: boolean }): unknown;
  prepare(sql: string): { get(): unknown };
  backup(
    destination: string,
    options: { progress(info: { totalPages: number; remainingPages: number }): number },
  ): Promise<{ totalPages: number; remainingPages: number }>;
  close(): void;
}
type SqliteFileConstructor = new (
  filename: string,
  options: { readonly: boolean; fileMustExist: boolean },
) => SqliteFile;

const Database = createRequire(import.meta.url)('better-sqlite3') as SqliteFileConstructor;

export interface BackupResult {
  destination: string;
  bytes: number;
  pages: number;
  bookings: number;
  milliseconds: number;
}

export class BackupRefused extends Error {
  override name = 'BackupRefused';
}

/**
 * A consistent copy of a SQLite database that may be in use by running servers, through SQLite's
 * online backup API (as better-sqlite3 exposes it). The copy is read in one step: a WAL reader sees
 * one snapshot and never blocks the server's writes, whereas a copy in small steps starts over each
 * time a server commits, which under steady bookings may be forever. It is written beside the
 * destination and renamed into place once checked, so a destination never holds half a backup.
 */
export async function backupSqlite(source: string, destination: string): Promise<BackupResult> {
  const started = Date.now();
  const from = resolve(source);
  const to = resolve(destination);
  if (!existsSync(from)) throw new BackupRefused(`No database at ${from}: set DB_FILENAME to the server's`);
  if (existsSync(to)) throw new BackupRefused(`${to} exists already: name a new file for each backup`);
  mkdirSync(dirname(to), { recursive: true });
  const partial = `${to}.partial`;
  const removePartial = () => {
    for (const file of [partial, `${partial}-wal`, `${partial}-shm`]) rmSync(file, { force: true });
  };
  removePartial();
  const database = new Database(from, { readonly: true, fileMustExist: true });
  try {
    // Blocking is fine here: this process does nothing else while it waits for a lock.
    database.pragma('busy_timeout = 5000');
    const { totalPages } = await database.backup(partial, { progress: ({ totalPages }) => totalPages });
    // The copy keeps the source's WAL mode; in rollback mode it is one self-contained file (the
    // server turns WAL on again when it opens a restored copy).
    const copy = new Database(partial, { readonly: false, fileMustExist: true });
    let bookings: number;
    try {
      copy.pragma('journal_mode = DELETE');
      const integrity = copy.pragma('integrity_check', { simple: true });
      if (integrity !== 'ok') throw new Error(`The copy failed its integrity check: ${String(integrity)}`);
      bookings = (copy.prepare('SELECT count(*) AS count FROM bookings').get() as { count: number }).count;
    } finally {
      copy.close();
    }
    renameSync(partial, to);
    return {
      destination: to,
      bytes: statSync(to).size,
      pages: totalPages,
      bookings,
      milliseconds: Date.now() - started,
    };
  } catch (error) {
    removePartial();
    throw error;
  } finally {
    database.close();
  }
}

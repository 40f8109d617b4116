import { loadConfig, loadDotEnv } from '../config.js';
import { BackupRefused, backupSqlite } from './backup.js';

/**
 * `npm run backup -- <file>`: a consistent copy of the configured SQLite database, taken while the
 * server runs (see docs/operations.md for restoring it, and for PostgreSQL's pg_dump).
 */
async function run(): Promise<void> {
  loadDotEnv();
  const destination = process.argv[2];
  if (!destination || process.argv.length > 3) {
    throw new BackupRefused('Usage: npm run backup -- <file>  (a new file: the backup of DB_FILENAME)');
  }
  const { database } = loadConfig();
  if (database.client === 'pg') {
    throw new BackupRefused(
      'DB_CLIENT=pg: back up PostgreSQL with pg_dump (see docs/operations.md); this command copies SQLite files',
    );
  }
  if (database.filename === ':memory:')
    throw new BackupRefused('DB_FILENAME=:memory: has no file to back up');
  const result = await backupSqlite(database.filename, destination);
  console.log(
    `Backed up ${database.filename} to ${result.destination}: ${result.bookings} bookings, ` +
      `${result.pages} pages (${result.bytes} bytes), integrity ok, in ${result.milliseconds} ms`,
  );
}

run().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

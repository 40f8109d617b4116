// Another process on the test's SQLite file: takes the write lock (BEGIN IMMEDIATE), says "locked" on
// stdout, and keeps it until its stdin closes or it is told to stop, then rolls back and exits.
import Database from 'better-sqlite3';

const [filename] = process.argv.slice(2);
if (!filename) throw new Error('usage: hold-sqlite-write-lock.mjs <file>');
const db = new Database(filename);
db.pragma('busy_timeout = 5000');
db.exec('BEGIN IMMEDIATE');
process.stdout.write('locked\n');

const keepAlive = setInterval(() => {}, 60_000);
function release() {
  clearInterval(keepAlive);
  db.exec('ROLLBACK');
  db.close();
  process.exit(0);
}
process.stdin.on('end', release);
process.stdin.resume();
process.on('SIGTERM', release);

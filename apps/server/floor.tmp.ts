// One-off: the SQL floor of a booking on better-sqlite3 (no knex), to size what knex costs.
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from './src/app.js';
import { loadConfig } from './src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'floor-'));
const file = join(dir, 'db.sqlite');
const app = await buildApp(loadConfig({ NODE_ENV: 'test', DB_CLIENT: 'better-sqlite3', DB_FILENAME: file, SEED_DEMO: 'true', ADMIN_TOKEN: 'x'.repeat(32) }));
await app.close();
const db = new Database(file);
db.pragma('journal_mode = WAL'); db.pragma('synchronous = NORMAL'); db.pragma('foreign_keys = ON');
const s = {
  begin: db.prepare('BEGIN IMMEDIATE'), commit: db.prepare('COMMIT'),
  student: db.prepare('select id from students where id = ? limit 1'),
  mentor: db.prepare('select id, timezone, buffer_minutes, max_sessions_per_day, is_premium from mentors where id = ? limit 1'),
  windows: db.prepare('select mentor_id, weekday, start_minute, end_minute from availability_windows where mentor_id in (?)'),
  overrides: db.prepare('select mentor_id, date, start_minute, end_minute from availability_overrides where mentor_id in (?) and date between ? and ?'),
  bookings: db.prepare("select mentor_id, start_at, end_at from bookings where mentor_id in (?) and status = 'confirmed' and start_at < ? and end_at > ?"),
  insert: db.prepare("insert into bookings (student_id, mentor_id, area_id, start_at, end_at, duration_minutes, price_minor, currency, status, created_at, updated_at) values (?,?,?,?,?,?,?,?,?,?,?) returning id"),
};
const N = 20000;
const base = Date.parse('2027-01-01T00:00:00Z');
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  const start = base + i * 3600_000; const end = start + 1800_000;
  const studentId = 1 + (i % 5);
  s.student.all(studentId);
  s.begin.run();
  s.mentor.all(2); s.windows.all(2); s.overrides.all(2, '2026-01-01', '2030-01-01'); s.bookings.all(2, end + 86400000, start - 86400000);
  s.insert.all(studentId, 2, null, start, end, 30, 100000, 'INR', 'confirmed', Date.now(), Date.now());
  s.commit.run();
}
const ms = performance.now() - t0;
console.log(`SQL floor of a booking (8 statements, better-sqlite3, no knex): ${(ms * 1000 / N).toFixed(1)} µs`);

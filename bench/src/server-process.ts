/**
 * The server under test, alone in its own process so that its memory and CPU are measured apart
 * from the load generator: builds the real app on the prepared database and listens on a free
 * loopback port. Talks to the parent over IPC.
 */
import { buildApp, loadConfig } from '@mentor-scheduling/server';

type Command =
  | { type: 'mark'; id: number }
  | { type: 'memory'; id: number }
  | { type: 'stats'; id: number }
  | { type: 'stop' };

const send = (message: object) => process.send?.(message);
const env = JSON.parse(process.env.BENCH_SERVER_ENV ?? '{}') as Record<string, string>;
const now = Number(process.env.BENCH_NOW);

const app = await buildApp(loadConfig(env), Number.isFinite(now) ? { now: () => now } : {});
// Counts the SQL statements the server sends, to report queries per request of each scenario.
let queries = 0;
app.db.knex.on('query', () => {
  queries++;
});
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
send({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0, pid: process.pid });

process.on('message', (command: Command) => {
  if (command.type === 'mark') {
    // The same clock as the timestamps of a .cpuprofile, in microseconds.
    send({ type: 'mark', id: command.id, micros: Number(process.hrtime.bigint() / 1000n) });
  } else if (command.type === 'memory') {
    send({ type: 'memory', id: command.id, rss: process.memoryUsage.rss() });
  } else if (command.type === 'stats') {
    const groupCommit = app.db.groupCommit?.stats ?? null;
    send({ type: 'stats', id: command.id, queries, groupCommit, memory: process.memoryUsage() });
  } else if (command.type === 'stop') {
    // A normal exit, so that --cpu-prof writes its profile.
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  }
});
process.on('disconnect', () => process.exit(0));

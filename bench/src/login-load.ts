/**
 * Logins under a flood: what N concurrent password checks at the production scrypt cost do to the
 * server's memory and to one bystander's login. The server runs bundled on bare node with the
 * production Node flags (see server-process.ts), on a fresh SQLite file with the demo catalogue.
 *
 *   npx tsx --conditions=source src/login-load.ts [--flood 60] [--log2n 15] [--bystander-after 500] [--env KEY=VALUE ...]
 *
 * The flood is N wrong passwords for N different unknown emails (the decoy check costs a real hash);
 * 500 ms in (--bystander-after), a bystander logs in with the right password and, when refused with 503, retries after
 * Retry-After. Prints one JSON object.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEntry } from './bundle.js';
import { ServerChild, sampleMemory } from './child.js';
import { productionNodeFlags } from './production-flags.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? (args[index + 1] ?? fallback) : fallback;
};
const flood = Number(option('flood', '60'));
const log2N = option('log2n', '15');
const bystanderDelayMs = Number(option('bystander-after', '500'));
const extraEnv = Object.fromEntries(
  args.flatMap((arg, index) => (args[index - 1] === '--env' ? [arg.split('=', 2) as [string, string]] : [])),
);

const dir = fileURLToPath(new URL(`../results/tmp/login-load-${process.pid}/`, import.meta.url));
mkdirSync(dir, { recursive: true });
const MB = 1024 * 1024;

async function login(url: string, email: string, password: string) {
  const started = performance.now();
  const response = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  await response.arrayBuffer();
  return {
    status: response.status,
    retryAfter: Number(response.headers.get('retry-after') ?? 0),
    ms: performance.now() - started,
  };
}

/** Logs in as someone with the right password, retrying when the server says it is busy. */
async function bystanderLogin(url: string) {
  const started = performance.now();
  const statuses: number[] = [];
  for (;;) {
    const answer = await login(url, 'aarav.sharma@example.com', 'demo-password');
    statuses.push(answer.status);
    if (answer.status !== 503 || statuses.length > 20) break;
    await new Promise((resolve) => setTimeout(resolve, Math.max(answer.retryAfter, 0.1) * 1000));
  }
  return { ms: Math.round(performance.now() - started), statuses };
}

const server = await ServerChild.start(
  await bundleEntry('server-process.ts', join(dir, 'server.mjs')),
  {
    BENCH_SERVER_ENV: JSON.stringify({
      // Outside production, so that the demo catalogue comes with the bystander's demo account.
      NODE_ENV: 'development',
      DB_FILENAME: join(dir, 'db.sqlite'),
      SEED_DEMO: 'true',
      LOG_LEVEL: 'error',
      PASSWORD_SCRYPT_LOG2N: log2N,
      AUTH_RATE_LIMIT_MAX: '100000',
      RATE_LIMIT_MAX: '100000',
      ...extraEnv,
    }),
  },
  productionNodeFlags(),
);
try {
  const idle = await server.memory();
  const alone = await bystanderLogin(server.url);
  const afterOne = await server.memory();
  const memory = sampleMemory(server, 10);
  const floodStarted = performance.now();
  const floodAnswers = Promise.all(
    Array.from({ length: flood }, (_, index) =>
      login(server.url, `flood-${index}@example.com`, 'not the password'),
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, bystanderDelayMs));
  const bystander = await bystanderLogin(server.url);
  const answers = await floodAnswers;
  const floodMs = Math.round(performance.now() - floodStarted);
  const sampledPeak = await memory.stop();
  const end = await server.memory();
  const statuses: Record<number, number> = {};
  for (const answer of answers) statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
  const slowest = Math.max(...answers.map((answer) => answer.ms));
  console.log(
    JSON.stringify(
      {
        log2N: Number(log2N),
        flood,
        bystanderAfterMs: bystanderDelayMs,
        env: extraEnv,
        idleRssMB: Math.round(idle.rss / MB),
        loginAloneMs: alone.ms,
        rssAfterOneLoginMB: Math.round(afterOne.rss / MB),
        peakRssMB: Math.round(Math.max(sampledPeak, end.peak ?? 0) / MB),
        endRssMB: Math.round(end.rss / MB),
        floodStatuses: statuses,
        floodMs,
        slowestFloodAnswerMs: Math.round(slowest),
        bystander,
      },
      null,
      2,
    ),
  );
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

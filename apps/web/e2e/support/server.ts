import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const repositoryRoot = resolve(fileURLToPath(new URL('../../../../', import.meta.url)));
export const webAppDirectory = join(repositoryRoot, 'apps/web/dist');
export const serverEntry = join(repositoryRoot, 'apps/server/dist/main.js');
export const chromiumPath = '/usr/bin/chromium';

/** Why the suite cannot run on this machine as it is, in a sentence that says what to do; null when it can. */
export function missingPrerequisite(): string | null {
  if (!existsSync(join(webAppDirectory, 'index.html'))) {
    return `The web app is not built (${webAppDirectory}/index.html is missing): run \`npm run build\` at the repository root first.`;
  }
  if (!existsSync(serverEntry)) {
    return `The server is not built (${serverEntry} is missing): run \`npm run build\` at the repository root first.`;
  }
  if (!existsSync(chromiumPath)) {
    return `Chromium is not installed (${chromiumPath} is missing): run \`apt-get update && apt-get install -y chromium\`.`;
  }
  return null;
}

export interface RunningServer {
  baseUrl: string;
  /** Where the server writes the emails it sends (MAIL_DIR) */
  mailDirectory: string;
  stop(): Promise<void>;
}

/** A port nobody listens on right now: the kernel picks it, then it is handed to the server. */
async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

async function isReady(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/api/ready`);
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * The real built server as a separate process, on a fresh SQLite database with the demo catalogue,
 * serving the built web app: what a person gets from `npm start`.
 */
export async function startServer(readyWithinMs = 30_000): Promise<RunningServer> {
  const directory = mkdtempSync(join(tmpdir(), 'mentor-sessions-e2e-'));
  const mailDirectory = join(directory, 'mail');
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child: ChildProcess = spawn(process.execPath, [serverEntry], {
    // A working directory of its own, so a developer's .env in the repository does not change the run.
    cwd: directory,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      DB_CLIENT: 'better-sqlite3',
      DB_FILENAME: join(directory, 'e2e.sqlite'),
      SEED_DEMO: 'true',
      MAIL_DIR: mailDirectory,
      WEB_APP_DIR: webAppDirectory,
      LOG_LEVEL: 'warn',
      // Nothing is in flight when the suite ends: stop at once rather than wait for the browser's
      // idle keep-alive connections.
      SHUTDOWN_DRAIN_MS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });

  const stop = async () => {
    if (!hasExited) {
      child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(forced);
    }
    rmSync(directory, { recursive: true, force: true });
  };

  // Polled until the server answers, a little apart so the probe does not compete with its start-up.
  const deadline = Date.now() + readyWithinMs;
  while (!(await isReady(baseUrl))) {
    if (hasExited || Date.now() > deadline) {
      await stop();
      const why = hasExited ? 'exited' : `was not ready within ${readyWithinMs} ms`;
      throw new Error(`The server (${serverEntry}) ${why}. Its output:\n${output.join('')}`);
    }
    await delay(50);
  }
  return { baseUrl, mailDirectory, stop };
}

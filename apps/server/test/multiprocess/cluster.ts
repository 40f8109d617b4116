import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The operator token every server process of these tests accepts. */
export const CLUSTER_ADMIN_TOKEN = 'multiprocess-operator-token-0123456789';

const serverDir = fileURLToPath(new URL('../..', import.meta.url));
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 15_000;

export interface ServerProcess {
  name: string;
  url: string;
  /** Log lines at level error or above: an "unhandled error" here is a 500 the test must not accept */
  errorLines: string[];
  /** How many log lines had this message so far (e.g. "incoming request", "request completed") */
  logged(message: string): number;
  /** Sends SIGTERM and answers the exit code (null when it had to be killed) */
  stop(): Promise<number | null>;
}

interface LogLine {
  level?: number;
  msg?: string;
}

/**
 * Starts `src/main.ts` as a real, separate Node.js process (through tsx, from source, so it needs no
 * build), on a port the OS picks, and answers once its "Server listening at" log line names the URL.
 * Configured as a production process is, plus the demo catalogue the tests book against.
 */
export function startServer(name: string, env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/main.ts'], {
    cwd: serverDir,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      SEED_DEMO: 'true',
      ADMIN_TOKEN: CLUSTER_ADMIN_TOKEN,
      PASSWORD_SCRYPT_LOG2N: '10',
      RATE_LIMIT_MAX: '1000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const errorLines: string[] = [];
  const messageCounts = new Map<string, number>();
  const recent: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`${name} did not start within ${START_TIMEOUT_MS} ms:\n${recent.join('\n')}\n${stderr}`),
      );
    }, START_TIMEOUT_MS);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening:\n${recent.join('\n')}\n${stderr}`));
    });
    // Read every line, also after start: a pipe nobody drains would block the server's logging.
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
      recent.push(text);
      if (recent.length > 20) recent.shift();
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        return;
      }
      if ((line.level ?? 0) >= 50) errorLines.push(text);
      if (line.msg) messageCounts.set(line.msg, (messageCounts.get(line.msg) ?? 0) + 1);
      const listening = line.msg?.match(/^Server listening at (http:\/\/\S+)$/);
      if (listening?.[1]) {
        clearTimeout(timer);
        resolve({
          name,
          url: listening[1],
          errorLines,
          logged: (message) => messageCounts.get(message) ?? 0,
          stop: () => stopProcess(child, exited),
        });
      }
    });
  });
}

async function stopProcess(child: ChildProcess, exited: Promise<number | null>): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  try {
    return await exited;
  } finally {
    clearTimeout(killer);
  }
}

/** Starts the processes together, as a deployment does (so their migrations and seeding race too). */
export async function startCluster(
  count: number,
  prefix: string,
  env: Record<string, string>,
): Promise<ServerProcess[]> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, index) => startServer(`${prefix}-${index + 1}`, env)),
  );
  const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await stopCluster(servers);
    throw failed.reason;
  }
  return servers;
}

export async function stopCluster(servers: readonly ServerProcess[]): Promise<(number | null)[]> {
  return Promise.all(servers.map((server) => server.stop()));
}

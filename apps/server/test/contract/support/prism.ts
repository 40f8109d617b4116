import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { specPath } from './spec-document.js';

/**
 * Prism (Stoplight) as a validating proxy in front of a running server: it checks every request and
 * every response against openapi/openapi.yaml and, with `--errors`, answers a violation itself
 * (422 for a request, 500 for a response) instead of passing it on.
 */
export interface PrismProxy {
  url: string;
  /** What Prism logged so far: its reasons, when it refused something */
  output(): string;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);
const prismCli = join(dirname(require.resolve('@stoplight/prism-cli/package.json')), 'dist/index.js');

/** Problem documents Prism writes itself carry a `type` under this URL, never the server's. */
export const prismErrorType = 'https://stoplight.io/prism/errors#';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitUntilListening(
  child: ChildProcess,
  output: () => string,
  deadline: number,
): Promise<void> {
  while (!output().includes('Prism is listening')) {
    if (child.exitCode !== null) throw new Error(`Prism exited (${child.exitCode}):\n${output()}`);
    if (Date.now() > deadline) throw new Error(`Prism did not start in time:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Starts `prism proxy --errors` on a free loopback port. `validateRequest: false` passes requests on
 * unchecked (answers are still checked): how deliberately invalid requests reach the server.
 */
export async function startPrism(
  upstream: string,
  options: { validateRequest?: boolean; document?: string } = {},
): Promise<PrismProxy> {
  const port = await freePort();
  const args = [
    prismCli,
    'proxy',
    options.document ?? specPath,
    upstream,
    '--errors',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
  ];
  if (options.validateRequest === false) args.push('--validate-request=false');
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  let log = '';
  const append = (chunk: Buffer) => {
    log = `${log}${chunk.toString()}`.slice(-200_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitUntilListening(child, () => log, Date.now() + 60_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => log,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

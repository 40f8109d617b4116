import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServerProcess, startServer } from './cluster.js';

/**
 * Clients that open a connection and then send their request slowly or not at all (slowloris): the
 * server must cut them off on its own, and a shutdown must not wait for them.
 */
const STALLED = 5;

interface StalledClient {
  socket: Socket;
  /** What the server wrote before closing, and after how many ms */
  closed: Promise<{ afterMs: number; received: string }>;
}

function stall(url: string, firstBytes: string): StalledClient {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const started = Date.now();
  let received = '';
  socket.on('data', (chunk) => {
    received += chunk.toString();
  });
  const closed = new Promise<{ afterMs: number; received: string }>((resolve) => {
    socket.on('close', () => resolve({ afterMs: Date.now() - started, received }));
    socket.on('error', () => {});
  });
  socket.write(firstBytes);
  return { socket, closed };
}

/** Headers complete, body announced as 100 bytes, a few of them sent. */
const bodyStarted =
  'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"em';
/** Headers begun, never finished. */
const headersStarted = 'GET /api/areas HTTP/1.1\r\nHost: x\r\nX-Slow: ';

describe('stalled connections', () => {
  let dir: string | undefined;
  let server: ServerProcess | undefined;
  let clients: StalledClient[] = [];

  afterEach(async () => {
    for (const client of clients) client.socket.destroy();
    clients = [];
    await server?.stop();
    server = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const start = async (env: Record<string, string>) => {
    dir = mkdtempSync(join(tmpdir(), 'mentor-scheduling-stalled-'));
    server = await startServer('stalled', { DB_FILENAME: join(dir, 'db.sqlite'), ...env });
    return server;
  };

  it('closes connections whose request does not arrive in time, answering 408 where it can', async () => {
    const { url } = await start({ REQUEST_TIMEOUT_MS: '2000', HEADERS_TIMEOUT_MS: '1000' });
    clients = [
      ...Array.from({ length: STALLED }, () => stall(url, bodyStarted)),
      ...Array.from({ length: STALLED }, () => stall(url, headersStarted)),
    ];
    const outcomes = await Promise.all(
      clients.map((client) =>
        Promise.race([
          client.closed,
          new Promise<null>((resolve) => setTimeout(() => resolve(null), 10_000)),
        ]),
      ),
    );
    console.log(
      `[stalled] closed after ${outcomes.map((outcome) => outcome?.afterMs ?? 'never').join(', ')} ms`,
    );
    for (const outcome of outcomes) {
      expect(outcome, 'a stalled connection was still open after 10 s').not.toBeNull();
      expect(outcome?.received).toMatch(/^HTTP\/1\.1 408 /);
      expect(outcome?.received).toContain('application/problem+json');
      expect(outcome?.received).toContain('"code":"request_timeout"');
    }
    // The server itself is unharmed.
    expect((await fetch(`${url}/api/health`)).status).toBe(200);
  });

  it('exits 0 soon after SIGTERM although clients are stalled mid-request', async () => {
    // Timeouts far away: only the shutdown's drain can end these connections.
    const running = await start({
      REQUEST_TIMEOUT_MS: '120000',
      HEADERS_TIMEOUT_MS: '60000',
      SHUTDOWN_DRAIN_MS: '1000',
    });
    clients = Array.from({ length: STALLED }, () => stall(running.url, bodyStarted));
    // Let the server read what they sent, so each is a request in progress, not a new connection.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stopping = Date.now();
    const exitCode = await running.stop();
    const tookMs = Date.now() - stopping;
    server = undefined;
    console.log(`[stalled] SIGTERM with ${STALLED} stalled clients: exit ${exitCode} after ${tookMs} ms`);
    expect(exitCode).toBe(0);
    expect(tookMs).toBeLessThan(8000);
  });
});

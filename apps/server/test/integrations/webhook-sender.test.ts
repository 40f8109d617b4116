import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  httpWebhookSender,
  newWebhookSecret,
  publicOnlyLookup,
  webhookDestinationRefusal,
} from '../../src/integrations/webhooks/http-webhook-sender.js';
import { WebhookDeliveryError, type WebhookRequest } from '../../src/services/notification-ports.js';

const SECRET = 'whsec_+L4eltXanow9I1LaGa/jbtozM5UaNvEaCYY+FUkFVu8=';

interface ReceivedDelivery {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The verified payload, or why verification failed */
  verification: { ok: true; payload: unknown } | { ok: false; error: string };
}

type Behaviour =
  | { kind: 'accept' }
  | { kind: 'fail'; remaining: number }
  | { kind: 'hang' }
  | { kind: 'redirect'; location: string; status: number }
  | { kind: 'endless-body' };

/** A subscriber's endpoint that checks every delivery's signature the way a subscriber would. */
interface Receiver {
  url: string;
  deliveries: ReceivedDelivery[];
  behave(behaviour: Behaviour): void;
  /** Resolves once `count` deliveries have arrived */
  arrived(count: number): Promise<void>;
  close(): Promise<void>;
}

async function startReceiver(secret: string): Promise<Receiver> {
  const deliveries: ReceivedDelivery[] = [];
  const waiting: Array<{ count: number; done: () => void }> = [];
  let behaviour: Behaviour = { kind: 'accept' };

  const answer = (response: ServerResponse) => {
    switch (behaviour.kind) {
      case 'accept':
        response.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
        return;
      case 'fail':
        if (behaviour.remaining > 0) {
          behaviour.remaining -= 1;
          response.writeHead(500).end('subscriber is down');
        } else {
          response.writeHead(204).end();
        }
        return;
      case 'hang':
        return;
      case 'redirect':
        response.writeHead(behaviour.status, { location: behaviour.location }).end();
        return;
      case 'endless-body': {
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(16 * 1024, 0x61);
        const pump = () => {
          while (!response.destroyed && response.write(chunk)) {}
          if (!response.destroyed) response.once('drain', pump);
        };
        pump();
        return;
      }
    }
  };

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      let verification: ReceivedDelivery['verification'];
      try {
        const headers = {
          'webhook-id': String(request.headers['webhook-id'] ?? ''),
          'webhook-timestamp': String(request.headers['webhook-timestamp'] ?? ''),
          'webhook-signature': String(request.headers['webhook-signature'] ?? ''),
        };
        verification = { ok: true, payload: new Webhook(secret).verify(body.toString('utf8'), headers) };
      } catch (error) {
        verification = { ok: false, error: String(error) };
      }
      deliveries.push({ path: request.url ?? '', headers: request.headers, body, verification });
      for (const waiter of waiting.filter((entry) => deliveries.length >= entry.count)) {
        waiting.splice(waiting.indexOf(waiter), 1);
        waiter.done();
      }
      answer(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    deliveries,
    behave(next) {
      behaviour = next;
    },
    arrived(count) {
      if (deliveries.length >= count) return Promise.resolve();
      return new Promise((done) => waiting.push({ count, done }));
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** A port on 127.0.0.1 where nothing listens any more. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The error a promise rejects with (failing the test when it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function deliveryError(promise: Promise<unknown>): Promise<WebhookDeliveryError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(WebhookDeliveryError);
  return error as WebhookDeliveryError;
}

const bookingConfirmed = JSON.stringify({
  type: 'booking.confirmed',
  timestamp: '2026-03-02T09:30:00.000Z',
  data: {
    bookingId: 42,
    mentor: 'Śrīdevi Rāman',
    topic: 'Equity research ✓',
    startsAt: '2026-03-09T10:00:00Z',
  },
});

let receiver: Receiver;

function webhookTo(url: string, overrides: Partial<WebhookRequest> = {}): WebhookRequest {
  return {
    url,
    secret: SECRET,
    messageId: 'msg_booking-42-confirmed',
    // verify() accepts timestamps within five minutes of its own clock
    timestamp: Date.now() - 1234,
    body: bookingConfirmed,
    ...overrides,
  };
}

beforeEach(async () => {
  receiver = await startReceiver(SECRET);
});

afterEach(() => receiver.close());

describe('httpWebhookSender', () => {
  it('delivers a body the subscriber can verify, byte for byte, with the id and timestamp given', async () => {
    const sender = httpWebhookSender({ allowPrivate: true, userAgent: 'mentor-sessions-test/1' });
    const webhook = webhookTo(`${receiver.url}/hooks/bookings`);

    const response = await sender.deliver(webhook);

    expect(response.status).toBe(200);
    expect(response.durationMs).toBeGreaterThanOrEqual(0);
    expect(receiver.deliveries).toHaveLength(1);
    const [delivery] = receiver.deliveries;
    expect(delivery?.path).toBe('/hooks/bookings');
    expect(delivery?.verification).toEqual({ ok: true, payload: JSON.parse(bookingConfirmed) });
    expect(delivery?.body.equals(Buffer.from(bookingConfirmed, 'utf8'))).toBe(true);
    expect(delivery?.headers['webhook-id']).toBe('msg_booking-42-confirmed');
    expect(delivery?.headers['webhook-timestamp']).toBe(String(Math.floor(webhook.timestamp / 1000)));
    expect(delivery?.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(delivery?.headers['content-type']).toBe('application/json');
    expect(delivery?.headers['user-agent']).toBe('mentor-sessions-test/1');
  });

  it('signs so that a subscriber holding another secret rejects the delivery', async () => {
    const stranger = await startReceiver(newWebhookSecret());
    try {
      await httpWebhookSender({ allowPrivate: true }).deliver(webhookTo(stranger.url));
      expect(stranger.deliveries).toHaveLength(1);
      expect(stranger.deliveries[0]?.verification.ok).toBe(false);
    } finally {
      await stranger.close();
    }
  });

  it('gives every attempt at one message the same webhook-id, each verifiable', async () => {
    const sender = httpWebhookSender({ allowPrivate: true });
    receiver.behave({ kind: 'fail', remaining: 1 });
    const webhook = webhookTo(receiver.url, { messageId: 'msg_session-7-reminder' });

    const first = await deliveryError(sender.deliver(webhook));
    const second = await sender.deliver(webhook);

    expect(first.status).toBe(500);
    expect(second.status).toBe(204);
    expect(receiver.deliveries.map((delivery) => delivery.headers['webhook-id'])).toEqual([
      'msg_session-7-reminder',
      'msg_session-7-reminder',
    ]);
    expect(receiver.deliveries.map((delivery) => delivery.verification.ok)).toEqual([true, true]);
  });

  it('rejects a 500 answer with the status', async () => {
    receiver.behave({ kind: 'fail', remaining: 1 });

    const error = await deliveryError(
      httpWebhookSender({ allowPrivate: true }).deliver(webhookTo(receiver.url)),
    );

    expect(error.status).toBe(500);
    expect(error.message).toContain('answered 500');
    expect(error.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('gives up on a subscriber that never answers once the timeout has passed', async () => {
    receiver.behave({ kind: 'hang' });
    const sender = httpWebhookSender({ allowPrivate: true, timeoutMs: 300 });

    const [error] = await Promise.all([
      deliveryError(sender.deliver(webhookTo(receiver.url))),
      receiver.arrived(1),
    ]);

    expect(error.status).toBeNull();
    expect(error.message).toContain('300 ms');
    expect(error.durationMs).toBeGreaterThanOrEqual(250);
  });

  it('stops reading an answer body after 64 KiB instead of waiting for its end', async () => {
    receiver.behave({ kind: 'endless-body' });

    const response = await httpWebhookSender({ allowPrivate: true, timeoutMs: 10_000 }).deliver(
      webhookTo(receiver.url),
    );

    expect(response.status).toBe(200);
  });

  it.each([301, 302, 307, 308])(
    'treats a %i redirect as a failure and does not follow it',
    async (status) => {
      receiver.behave({ kind: 'redirect', status, location: `${receiver.url}/elsewhere` });

      const error = await deliveryError(
        httpWebhookSender({ allowPrivate: true }).deliver(webhookTo(`${receiver.url}/hook`)),
      );

      expect(error.status).toBe(status);
      expect(receiver.deliveries.map((delivery) => delivery.path)).toEqual(['/hook']);
    },
  );

  it('rejects without a status when nothing listens at the port', async () => {
    const port = await closedPort();

    const error = await deliveryError(
      httpWebhookSender({ allowPrivate: true }).deliver(webhookTo(`http://127.0.0.1:${port}/hook`)),
    );

    expect(error.status).toBeNull();
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it.each([
    ['a loopback address', (port: number) => `http://127.0.0.1:${port}/hook`],
    ['a name for loopback', (port: number) => `http://localhost:${port}/hook`],
    ['an IPv4-mapped loopback address', (port: number) => `http://[::ffff:127.0.0.1]:${port}/hook`],
  ])('refuses %s before sending anything when private destinations are not allowed', async (_, urlFor) => {
    const port = Number(new URL(receiver.url).port);

    const error = await deliveryError(
      httpWebhookSender({ allowPrivate: false }).deliver(webhookTo(urlFor(port))),
    );

    expect(error.status).toBeNull();
    expect(error.message).toMatch(/refused/);
    expect(receiver.deliveries).toHaveLength(0);
  });

  it('rejects an unusable secret as a failed delivery, sending nothing', async () => {
    const error = await deliveryError(
      httpWebhookSender({ allowPrivate: true }).deliver(webhookTo(receiver.url, { secret: 'whsec_' })),
    );

    expect(error.status).toBeNull();
    expect(receiver.deliveries).toHaveLength(0);
  });
});

describe('publicOnlyLookup', () => {
  function lookUp(hostname: string, all: boolean): Promise<string | LookupAddress[]> {
    return new Promise((resolve, reject) =>
      publicOnlyLookup(hostname, { all }, (error, address) => (error ? reject(error) : resolve(address))),
    );
  }

  it.each([true, false])('refuses a name that resolves to loopback (all addresses: %s)', async (all) => {
    const error = await rejectionOf(lookUp('localhost', all));

    expect((error as NodeJS.ErrnoException).code).toBe('EPRIVATEADDRESS');
  });

  it('passes a public address through in both shapes Node asks for', async () => {
    expect(await lookUp('93.184.216.34', false)).toBe('93.184.216.34');
    expect(await lookUp('93.184.216.34', true)).toEqual([{ address: '93.184.216.34', family: 4 }]);
  });
});

describe('webhookDestinationRefusal', () => {
  it.each([
    'ftp://hooks.example.com/bookings',
    'https://admin:hunter2@hooks.example.com/bookings',
    'https://token@hooks.example.com/bookings',
    'http://10.0.0.1/hook',
    'http://192.168.1.1/hook',
    'http://172.20.0.5/hook',
    'http://100.64.1.1/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://0.0.0.0:8080/hook',
    'http://224.0.0.1/hook',
    'http://2130706433/hook',
    'http://0x7f.1/hook',
    'http://[::1]/hook',
    'http://[::]/hook',
    'http://[fd00::1]/hook',
    'http://[fe80::1]/hook',
    'http://[ff02::1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://[::ffff:a9fe:a9fe]/hook',
    'http://[64:ff9b::a00:1]/hook',
    'http://localhost/hook',
    'http://localhost./hook',
    'http://api.localhost/hook',
    'not a url',
  ])('refuses %s', (url) => {
    expect(webhookDestinationRefusal(url, false)).toEqual(expect.any(String));
  });

  it.each([
    'https://example.com/hook',
    'http://93.184.216.34/x',
    'https://hooks.example.com:8443/bookings?tenant=7',
    'http://[2606:2800:220:1:248:1893:25c8:1946]/hook',
    'http://[::ffff:93.184.216.34]/hook',
    'http://172.32.0.1/hook',
  ])('accepts %s', (url) => {
    expect(webhookDestinationRefusal(url, false)).toBeNull();
  });

  it('accepts private destinations when they are allowed, but still only over http(s) without credentials', () => {
    expect(webhookDestinationRefusal('http://127.0.0.1:3000/hook', true)).toBeNull();
    expect(webhookDestinationRefusal('http://localhost:3000/hook', true)).toBeNull();
    expect(webhookDestinationRefusal('http://[::1]:3000/hook', true)).toBeNull();
    expect(webhookDestinationRefusal('ftp://127.0.0.1/hook', true)).toEqual(expect.any(String));
    expect(webhookDestinationRefusal('http://user:pass@127.0.0.1/hook', true)).toEqual(expect.any(String));
  });
});

describe('newWebhookSecret', () => {
  it('makes a fresh whsec_ secret of 32 random bytes that standardwebhooks signs and verifies with', () => {
    const secret = newWebhookSecret();

    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(secret);
    const webhook = new Webhook(secret);
    const now = new Date();
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': webhook.sign('msg_1', now, '{"type":"ping"}'),
    };
    expect(webhook.verify('{"type":"ping"}', headers)).toEqual({ type: 'ping' });
  });
});

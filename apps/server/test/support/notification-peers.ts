/**
 * Real peers for the notification tests: an SMTP server that reads every message the app sends, and
 * an HTTP endpoint that verifies webhook signatures the way a subscriber would (standardwebhooks).
 * Both listen on 127.0.0.1 on a free port, can fail on purpose, and let a test wait for what arrives
 * instead of sleeping.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerError } from 'smtp-server';
import { Webhook } from 'standardwebhooks';

/** How long waitFor waits unless told otherwise: well under the suite's test timeout. */
const DEFAULT_WAIT_MS = 10_000;

/** One email as its recipient's mail program would show it. */
export interface ReceivedEmail {
  /** The recipient's address (the To header) */
  to: string;
  /** The sender's address (the From header) */
  from: string;
  subject: string;
  text: string;
  html: string;
  /** The Message-ID header, with its angle brackets */
  messageId: string;
  /** The calendar invitation: its iTIP method and the RFC 5545 text; null without one */
  invitation: { method: string; ics: string } | null;
  /** The message as it came over SMTP */
  raw: string;
}

export interface SmtpSink {
  /** `smtp://user:pass@127.0.0.1:<port>`, to give the app as SMTP_URL */
  url: string;
  /** Every accepted message, parsed, in the order they arrived */
  messages: ReceivedEmail[];
  /** How many DATA commands were refused on purpose (failNext) */
  refused(): number;
  /**
   * Resolves once at least `count` messages (those `matching`, when given) have been accepted and
   * parsed; answers those messages.
   */
  waitFor(
    count: number,
    timeoutMs?: number,
    matching?: (message: ReceivedEmail) => boolean,
  ): Promise<ReceivedEmail[]>;
  /**
   * The next `n` messages are refused: with a temporary failure (451, as a busy server would) by
   * default, or with the code given (550: the mailbox does not exist, a refusal for good)
   */
  failNext(n: number, code?: 451 | 550): void;
  close(): Promise<void>;
}

export interface ReceivedWebhook {
  /** The `webhook-id` header: the same on every try of one message */
  id: string;
  /** The `webhook-timestamp` header, epoch seconds */
  timestamp: number;
  /** The body's `type` */
  type: string;
  /** The body, parsed */
  body: any;
  /** Whether the signature matched the receiver's secret */
  verified: boolean;
  /** What the receiver answered: 204, 500 (failNext), or 401 (a bad signature) */
  status: number;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>/hooks`, to subscribe */
  url: string;
  /** The endpoint's `whsec_…` secret; may be set after the receiver starts, since the app makes it */
  secret: string | undefined;
  /** Every request, including those refused (failNext, bad signature) */
  received: ReceivedWebhook[];
  /** The requests answered 204: verified, and not failed on purpose */
  delivered(): ReceivedWebhook[];
  /** Resolves once at least `count` requests (those `matching`, when given) have been answered 204 */
  waitFor(
    count: number,
    timeoutMs?: number,
    matching?: (hook: ReceivedWebhook) => boolean,
  ): Promise<ReceivedWebhook[]>;
  /** Resolves once at least `count` requests have arrived, whatever they were answered */
  waitForRequests(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  /** The next `n` requests are answered 500 (Infinity: every request from now on) */
  failNext(n: number): void;
  close(): Promise<void>;
}

/**
 * Waits for `ready()` to hold, checking each time `subscribe`'s callback fires, so nothing polls.
 * On timeout it rejects with `describe()`, which should say what did arrive.
 */
function waitUntil(
  ready: () => boolean,
  subscribe: (listener: () => void) => () => void,
  timeoutMs: number,
  describe: () => string,
): Promise<void> {
  if (ready()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const unsubscribe = subscribe(() => {
      if (!ready()) return;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    });
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(describe()));
    }, timeoutMs);
  });
}

/** Listeners called after each arrival. */
function arrivals() {
  const listeners = new Set<() => void>();
  return {
    notify: () => {
      for (const listener of [...listeners]) listener();
    },
    subscribe: (listener: () => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function firstAddressOf(header: ParsedMail['to']): string {
  const addresses = Array.isArray(header) ? header[0] : header;
  return addresses?.value[0]?.address ?? '';
}

/**
 * The invitation a calendar client would act on: the text/calendar alternative (whose `method`
 * parameter is the iTIP method), else an attached .ics file (whose METHOD line says it).
 */
function invitationOf(parsed: ParsedMail): ReceivedEmail['invitation'] {
  const alternative = parsed.attachments.find((part) => part.contentType === 'text/calendar');
  const file =
    alternative ??
    parsed.attachments.find(
      (part) => part.filename?.toLowerCase().endsWith('.ics') || part.contentType === 'application/ics',
    );
  if (!file) return null;
  const ics = file.content.toString('utf8');
  const contentType = file.headers.get('content-type') as { params?: Record<string, string> } | undefined;
  const method = contentType?.params?.method ?? /^METHOD:(.*)$/m.exec(ics)?.[1]?.trim() ?? '';
  return { method: method.toUpperCase(), ics };
}

function summaryOfEmails(messages: readonly ReceivedEmail[]): string {
  if (messages.length === 0) return 'none';
  return messages.map((message) => `  to ${message.to}: ${message.subject}`).join('\n');
}

/** A real SMTP server (no TLS, password login) that keeps every message it accepts, parsed. */
export async function startSmtpSink(options: { user?: string; pass?: string } = {}): Promise<SmtpSink> {
  const user = options.user ?? 'mailer';
  const pass = options.pass ?? 'secret';
  const messages: ReceivedEmail[] = [];
  const events = arrivals();
  let toRefuse = 0;
  let refusalCode = 451;
  let refusedCount = 0;

  const server = new SMTPServer({
    logger: false,
    // Connections the app leaves open end this soon after close(), not after the default 30 s.
    closeTimeout: 1000,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: false,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === pass) callback(null, { user });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (toRefuse > 0) {
          toRefuse -= 1;
          refusedCount += 1;
          const refusal: SMTPServerError = new Error(
            refusalCode === 451 ? 'Mailbox busy, try again later' : 'No such mailbox here',
          );
          refusal.responseCode = refusalCode;
          callback(refusal);
          return;
        }
        const raw = Buffer.concat(chunks);
        // Accepted before it is parsed, as a real server would; waiters see it once parsed.
        callback();
        simpleParser(raw).then(
          (parsed) => {
            messages.push({
              to: firstAddressOf(parsed.to),
              from: firstAddressOf(parsed.from),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              messageId: parsed.messageId ?? '',
              invitation: invitationOf(parsed),
              raw: raw.toString('utf8'),
            });
            events.notify();
          },
          (error: unknown) => {
            // A message the parser cannot read still counts, so that a test fails on its content.
            messages.push({
              to: '',
              from: '',
              subject: `(unparseable: ${String(error)})`,
              text: '',
              html: '',
              messageId: '',
              invitation: null,
              raw: raw.toString('utf8'),
            });
            events.notify();
          },
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${port}`,
    messages,
    refused: () => refusedCount,
    async waitFor(count, timeoutMs = DEFAULT_WAIT_MS, matching = () => true) {
      await waitUntil(
        () => messages.filter(matching).length >= count,
        events.subscribe,
        timeoutMs,
        () =>
          `Expected at least ${count} matching emails within ${timeoutMs} ms; all that arrived (${messages.length}):\n${summaryOfEmails(messages)}`,
      );
      return messages.filter(matching);
    },
    failNext(n, code = 451) {
      toRefuse = n;
      refusalCode = code;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function headerText(request: IncomingMessage, name: string): string {
  const value = request.headers[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

function summaryOfWebhooks(received: readonly ReceivedWebhook[]): string {
  if (received.length === 0) return 'none';
  return received
    .map(
      (hook) =>
        `  ${hook.type} ${hook.id} answered ${hook.status}${hook.verified ? '' : ' (signature not verified)'}`,
    )
    .join('\n');
}

/**
 * A subscriber's endpoint: POSTs are checked with standardwebhooks against `secret`, recorded, and
 * answered 204 when the signature holds (401 when it does not, 500 while failing on purpose).
 */
export async function startWebhookReceiver(secret?: string): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const events = arrivals();
  let toFail = 0;

  const receiver: WebhookReceiver = {
    url: '',
    secret,
    received,
    delivered: () => received.filter((hook) => hook.status === 204),
    async waitFor(count, timeoutMs = DEFAULT_WAIT_MS, matching = () => true) {
      const wanted = () => receiver.delivered().filter(matching);
      await waitUntil(
        () => wanted().length >= count,
        events.subscribe,
        timeoutMs,
        () =>
          `Expected at least ${count} webhooks answered 204 within ${timeoutMs} ms; all requests:\n${summaryOfWebhooks(received)}`,
      );
      return wanted();
    },
    async waitForRequests(count, timeoutMs = DEFAULT_WAIT_MS) {
      await waitUntil(
        () => received.length >= count,
        events.subscribe,
        timeoutMs,
        () =>
          `Expected at least ${count} webhook requests within ${timeoutMs} ms; requests:\n${summaryOfWebhooks(received)}`,
      );
      return received;
    },
    failNext(n) {
      toFail = n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  const server: Server = createServer((request, response) => {
    if (request.method !== 'POST') {
      response.writeHead(405).end();
      return;
    }
    readBody(request).then(
      (text) => {
        const headers = {
          'webhook-id': headerText(request, 'webhook-id'),
          'webhook-timestamp': headerText(request, 'webhook-timestamp'),
          'webhook-signature': headerText(request, 'webhook-signature'),
        };
        let verified = false;
        if (receiver.secret !== undefined) {
          try {
            new Webhook(receiver.secret).verify(text, headers);
            verified = true;
          } catch {
            verified = false;
          }
        }
        let body: any = null;
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
        let status = verified ? 204 : 401;
        if (toFail > 0) {
          toFail -= 1;
          status = 500;
        }
        received.push({
          id: headers['webhook-id'],
          timestamp: Number(headers['webhook-timestamp']),
          type: typeof body === 'object' && body !== null ? String(body.type) : '',
          body,
          verified,
          status,
        });
        // Recorded before answering: a test that sees the app settle the attempt sees it here too.
        response.writeHead(status).end();
        events.notify();
      },
      () => {
        response.writeHead(400).end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  receiver.url = `http://127.0.0.1:${port}/hooks`;
  return receiver;
}

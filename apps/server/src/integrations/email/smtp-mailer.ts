import { SpanKind } from '@opentelemetry/api';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { Mailer, OutgoingEmail } from '../../services/notification-ports.js';
import { inChildSpan } from '../../telemetry/spans.js';

/**
 * The longest one step of a delivery (DNS, connect, greeting, any reply) may take. The outbox
 * dispatcher waits for each send, so a dead or stalled server must not hold it for nodemailer's
 * defaults (up to 10 minutes).
 */
const MAX_STEP_MS = 10_000;
const TIMEOUT_OPTIONS = ['dnsTimeout', 'connectionTimeout', 'greetingTimeout', 'socketTimeout'] as const;

/**
 * Shorter than the socket timeout, so the pool closes an idle connection itself (QUIT) before the
 * socket timeout would tear it down as an error.
 */
const POOL_IDLE_MS = 5_000;

/**
 * The nodemailer message for an outgoing email. Shared with the file mailer so that a development
 * .eml file is the same message SMTP would carry.
 */
export function mailOptionsOf(email: OutgoingEmail): SendMailOptions {
  const options: SendMailOptions = {
    messageId: email.messageId,
    from: { name: email.from.name, address: email.from.address },
    to: { name: email.to.name, address: email.to.address },
    subject: email.subject,
    text: email.text,
    html: email.html,
    // RFC 3834: keeps out-of-office responders from answering a notification.
    headers: { 'Auto-Submitted': 'auto-generated' },
  };
  if (email.invitation) {
    options.icalEvent = {
      method: email.invitation.method,
      content: email.invitation.content,
      filename: 'session.ics',
    };
  }
  return options;
}

/**
 * Our content never points at files or URLs; refusing them means a value that reaches a message
 * can never make the mailer read the disk or the network.
 */
export const CONTENT_ACCESS = { disableFileAccess: true, disableUrlAccess: true } as const;

interface SmtpSettings {
  /** The URL without the timeout parameters, which are passed as options instead */
  url: string;
  description: string;
  timeouts: Record<(typeof TIMEOUT_OPTIONS)[number], number>;
  /** Where a send goes, as a trace names a peer (never the credentials) */
  spanAttributes: { 'server.address': string; 'server.port': number };
}

function smtpSettingsOf(url: string): SmtpSettings {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The URL parser's own error carries the input, password included.
    throw new Error('The SMTP URL is not a URL; expected smtp://user:password@host:587 or smtps://…');
  }
  const secure = parsed.protocol === 'smtps:';
  if (!secure && parsed.protocol !== 'smtp:') {
    throw new Error(`The SMTP URL must start with smtp:// or smtps://, not ${parsed.protocol}//`);
  }
  if (!parsed.hostname) throw new Error('The SMTP URL names no host');

  // A timeout in the URL (nodemailer reads query parameters as options) may shorten a step, never
  // lengthen it past the bound.
  const timeouts = {} as SmtpSettings['timeouts'];
  for (const option of TIMEOUT_OPTIONS) {
    const given = Number(parsed.searchParams.get(option) ?? Number.NaN);
    parsed.searchParams.delete(option);
    timeouts[option] = given > 0 ? Math.min(given, MAX_STEP_MS) : MAX_STEP_MS;
  }
  const port = parsed.port || (secure ? '465' : '587');
  return {
    url: parsed.href,
    description: `${parsed.protocol}//${parsed.hostname}:${port}`,
    timeouts,
    spanAttributes: { 'server.address': parsed.hostname, 'server.port': Number(port) },
  };
}

/**
 * Mail through an SMTP server named by a URL: `smtp://user:password@host:587` (STARTTLS when the
 * server offers it) or `smtps://…` (TLS from the start). Credentials and TLS options such as
 * `?tls.rejectUnauthorized=false` go in the URL, percent-encoded.
 *
 * A send rejects with nodemailer's error, whose `permanent` flag tells a refusal (5xx) from a
 * failure worth retrying.
 */
export function smtpMailer(options: { url: string }): Mailer {
  const settings = smtpSettingsOf(options.url);
  const transport = nodemailer.createTransport({
    url: settings.url,
    ...settings.timeouts,
    ...CONTENT_ACCESS,
    pool: true,
    // A booking change sends a handful of messages at once; more connections gain nothing.
    maxConnections: 2,
    idleTimeout: POOL_IDLE_MS,
    // One more try on a fresh connection when the server dropped a pooled one mid-message;
    // anything beyond that is the outbox's retry.
    maxRequeues: 1,
  });
  const sending = new Set<Promise<unknown>>();
  let closed = false;

  return {
    description: settings.description,

    async send(email: OutgoingEmail): Promise<void> {
      if (closed) throw new Error(`The mailer for ${settings.description} is closed`);
      // SMTP has no automatic instrumentation: the send is a client span of its own when traced.
      await inChildSpan(
        'smtp send',
        { kind: SpanKind.CLIENT, attributes: settings.spanAttributes },
        async () => {
          const delivery = transport.sendMail(mailOptionsOf(email));
          sending.add(delivery);
          try {
            await delivery;
          } finally {
            sending.delete(delivery);
          }
        },
      );
    },

    async close(): Promise<void> {
      closed = true;
      // Idle connections end now, a connection that is delivering ends once its message is done.
      transport.close();
      if (sending.size === 0) return;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, MAX_STEP_MS);
      });
      await Promise.race([Promise.allSettled(sending), deadline]);
      clearTimeout(timer);
      // A server trickling its replies is never idle long enough for the socket timeout.
      if (sending.size > 0) transport.close({ force: true });
    },
  };
}

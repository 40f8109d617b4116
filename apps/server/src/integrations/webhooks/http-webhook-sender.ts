import { randomBytes } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns';
import {
  type ClientRequest,
  request as httpRequest,
  type IncomingMessage,
  type RequestOptions,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, isIPv4, type LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Webhook } from 'standardwebhooks';
import {
  WebhookDeliveryError,
  type WebhookRequest,
  type WebhookResponse,
  type WebhookSender,
} from '../../services/notification-ports.js';

export interface HttpWebhookSenderOptions {
  /**
   * Lets endpoints on loopback and private networks receive deliveries: for development and tests.
   * Off in production, where an admin-supplied URL must not become a way into our own network.
   */
  allowPrivate: boolean;
  /** Bounds one whole attempt: connecting, sending, and the answer's head and body */
  timeoutMs?: number;
  userAgent?: string;
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_USER_AGENT = 'mentor-scheduling-webhooks/1';
/** A subscriber's answer body means nothing to us; past this much we stop reading it. */
const MAX_ANSWER_BYTES = 64 * 1024;

export function httpWebhookSender(options: HttpWebhookSenderOptions): WebhookSender {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError('A webhook timeout must be a positive number of milliseconds');
  }
  return {
    destinationRefusal: (url) => webhookDestinationRefusal(url, options.allowPrivate),
    newSecret: newWebhookSecret,
    async deliver(webhook: WebhookRequest): Promise<WebhookResponse> {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);

      const refusal = webhookDestinationRefusal(webhook.url, options.allowPrivate);
      if (refusal !== null) throw new WebhookDeliveryError(`destination refused: ${refusal}`, null, 0);
      if (!Number.isFinite(webhook.timestamp)) {
        throw new WebhookDeliveryError('the message has no valid timestamp', null, 0);
      }
      let signature: string;
      try {
        signature = new Webhook(webhook.secret).sign(
          webhook.messageId,
          new Date(webhook.timestamp),
          webhook.body,
        );
      } catch (error) {
        throw new WebhookDeliveryError(`cannot sign with the endpoint's secret: ${reason(error)}`, null, 0);
      }

      const requestOptions: RequestOptions = {
        method: 'POST',
        // A fresh connection per attempt: every connection then passes the address check below, and
        // a timed-out attempt cannot leave a half-used socket behind for the next one.
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(webhook.body)),
          'user-agent': userAgent,
          'webhook-id': webhook.messageId,
          'webhook-timestamp': String(Math.floor(webhook.timestamp / 1000)),
          'webhook-signature': signature,
        },
      };
      // A name that passed the literal check may still resolve to a private address (or be
      // re-pointed at one between checks), so the address actually connected to is checked too.
      if (!options.allowPrivate) requestOptions.lookup = publicOnlyLookup;

      return new Promise<WebhookResponse>((resolve, reject) => {
        let outgoing: ClientRequest | undefined;
        let settled = false;
        const settle = (
          outcome: { ok: true; status: number } | { ok: false; why: string; status: number | null },
        ) => {
          if (settled) return;
          settled = true;
          clearTimeout(deadline);
          outgoing?.destroy();
          const durationMs = elapsed();
          if (outcome.ok) resolve({ status: outcome.status, durationMs });
          else reject(new WebhookDeliveryError(outcome.why, outcome.status, durationMs));
        };
        const deadline = setTimeout(
          () => settle({ ok: false, why: `no complete answer within ${timeoutMs} ms`, status: null }),
          timeoutMs,
        );

        const onAnswer = (answer: IncomingMessage) => {
          const status = answer.statusCode ?? 0;
          // Errors after settling (the connection torn down on purpose) must not go unhandled.
          answer.on('error', () => {});
          if (status < 200 || status > 299) {
            // Node never follows redirects by itself; following one could lead to a private address.
            const why =
              status >= 300 && status < 400 ? `answered ${status}, not followed` : `answered ${status}`;
            settle({ ok: false, why, status });
            return;
          }
          let received = 0;
          answer.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (received > MAX_ANSWER_BYTES) settle({ ok: true, status });
          });
          answer.on('end', () => settle({ ok: true, status }));
          answer.on('close', () => {
            if (!answer.complete) {
              settle({ ok: false, why: `the connection closed during the ${status} answer`, status: null });
            }
          });
        };

        try {
          const send = new URL(webhook.url).protocol === 'https:' ? httpsRequest : httpRequest;
          outgoing = send(webhook.url, requestOptions, onAnswer);
        } catch (error) {
          // e.g. a message id with characters a header cannot carry
          settle({ ok: false, why: `cannot send: ${reason(error)}`, status: null });
          return;
        }
        outgoing.on('error', (error) =>
          settle({ ok: false, why: `could not deliver: ${reason(error)}`, status: null }),
        );
        outgoing.end(webhook.body);
      });
    },
  };
}

/** A signing secret for a new endpoint, in the `whsec_` form subscribers' libraries expect. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * Why a destination is refused before any request, or null: scheme not http(s), credentials in
 * the URL, a literal private/loopback/link-local/unique-local/multicast/unspecified address (IPv4,
 * IPv6, IPv4-mapped IPv6) or `localhost`/`*.localhost` when !allowPrivate.
 */
export function webhookDestinationRefusal(url: string, allowPrivate: boolean): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a valid URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `the scheme ${parsed.protocol} is not http or https`;
  }
  // They would be sent as a Basic authorization header to whoever answers, and end up in logs.
  if (parsed.username !== '' || parsed.password !== '') return 'the URL carries credentials';
  if (allowPrivate) return null;

  // The URL parser has already turned decimal, hex and short IPv4 forms into dotted quads.
  const host = parsed.hostname.replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is a local name`;
  const address = host.startsWith('[') ? host.slice(1, -1) : host;
  if (isIP(address) !== 0 && isPrivateAddress(address)) return `${address} is not a public address`;
  return null;
}

/**
 * A `lookup` for node:http that resolves like `dns.lookup` but fails when the name resolves to any
 * private address, so that the connection is never opened. It answers in both shapes Node asks for
 * (one address, or all of them when connecting with family auto-selection).
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) {
      callback(error, []);
      return;
    }
    const blocked = addresses.find((candidate) => isPrivateAddress(candidate.address));
    if (blocked !== undefined) {
      const refusal: NodeJS.ErrnoException = new Error(
        `${hostname} resolves to ${blocked.address}, which is not a public address`,
      );
      refusal.code = 'EPRIVATEADDRESS';
      callback(refusal, []);
      return;
    }
    const first = addresses[0];
    if (options.all) callback(null, addresses);
    else if (first === undefined)
      callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
    else callback(null, first.address, first.family);
  });
};

const privateIPv4 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  privateIPv4.addSubnet(network, prefix, 'ipv4');
}

const privateIPv6 = new BlockList();
privateIPv6.addAddress('::1', 'ipv6');
privateIPv6.addAddress('::', 'ipv6');
for (const [network, prefix] of [
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  privateIPv6.addSubnet(network, prefix, 'ipv6');
}

function isPrivateAddress(address: string): boolean {
  if (isIPv4(address)) return privateIPv4.check(address, 'ipv4');
  const groups = ipv6Groups(address);
  const embedded = embeddedIPv4(groups);
  if (embedded !== null) return privateIPv4.check(embedded, 'ipv4');
  return privateIPv6.check(groups.map((group) => group.toString(16)).join(':'), 'ipv6');
}

/**
 * The IPv4 address an IPv6 address stands for, when it is IPv4-mapped (`::ffff:0:0/96`, which the
 * kernel connects to over IPv4) or in the NAT64 well-known prefix (`64:ff9b::/96`, which a gateway
 * forwards to that IPv4 address).
 */
function embeddedIPv4(groups: number[]): string | null {
  const mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  const nat64 =
    groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((group) => group === 0);
  if (!mapped && !nat64) return null;
  const high = groups[6] ?? 0;
  const low = groups[7] ?? 0;
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** The eight 16-bit groups of a valid IPv6 address (with `::`, a zone, or a trailing dotted quad). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parse = (part: string) =>
    part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16));
  const [head = '', tail] = text.split('::');
  if (tail === undefined) return parse(head);
  const before = parse(head);
  const after = parse(tail);
  return [...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after];
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

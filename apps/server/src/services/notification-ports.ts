/**
 * The ports through which the outbox tells people and systems about bookings: email (SMTP, or files
 * in development) and outgoing webhooks. Owned by the services; one adapter each under integrations/,
 * chosen by configuration in app.ts.
 */

export interface EmailAddress {
  name: string;
  address: string;
}

/** A calendar invitation attached to an email (RFC 5545 text and its iTIP method). */
export interface CalendarAttachment {
  method: 'REQUEST' | 'CANCEL' | 'PUBLISH';
  content: string;
}

/** One rendered email to one person. */
export interface OutgoingEmail {
  /**
   * The same for every attempt at one message (`<…@…>`), so a retry after a crash that followed a
   * successful send can be recognised by the recipient's mail system as the same message.
   */
  messageId: string;
  from: EmailAddress;
  to: EmailAddress;
  subject: string;
  text: string;
  html: string;
  invitation?: CalendarAttachment;
}

export interface Mailer {
  /** What the log says about where mail goes (`smtp://mail.example.com:587`, `files in ./data/mail`) */
  readonly description: string;
  /** Resolves once the message is accepted (by the SMTP server, or written); rejects otherwise */
  send(email: OutgoingEmail): Promise<void>;
  close(): Promise<void>;
}

/** One signed delivery of an event to a subscriber's endpoint (Standard Webhooks). */
export interface WebhookRequest {
  url: string;
  /** `whsec_…`, the endpoint's signing secret */
  secret: string;
  /** `webhook-id`: the same for every attempt at one message */
  messageId: string;
  /** `webhook-timestamp`, epoch ms (sent in seconds) */
  timestamp: number;
  /** The JSON body, exactly as signed */
  body: string;
}

export interface WebhookResponse {
  status: number;
  durationMs: number;
}

/** A delivery that did not reach a 2xx: the receiver's status when there was one, and why. */
export class WebhookDeliveryError extends Error {
  override name = 'WebhookDeliveryError';
  constructor(
    message: string,
    readonly status: number | null,
    readonly durationMs: number,
  ) {
    super(message);
  }
}

export interface WebhookSender {
  /** Resolves on a 2xx answer; rejects with WebhookDeliveryError on anything else */
  deliver(request: WebhookRequest): Promise<WebhookResponse>;
  /** Why an endpoint URL may not be subscribed (scheme, credentials, a private address), or null */
  destinationRefusal(url: string): string | null;
  /** A new endpoint's signing secret (`whsec_…`) */
  newSecret(): string;
}

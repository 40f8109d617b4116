import { z } from 'zod';
import { CountSchema, IdAnswerSchema, SessionMinutesSchema } from '../answer-primitives.js';
import { IdParamSchema, InstantSchema, MoneySchema, pageQueryShape, textSchema } from '../primitives.js';
import { BookingStatusSchema } from './bookings.js';

export const webhookEventTypes = [
  'booking.created',
  'booking.confirmed',
  'booking.rescheduled',
  'booking.cancelled',
  'booking.expired',
  'payment.refunded',
] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

export const WebhookEventTypeSchema = z.enum(webhookEventTypes).meta({
  id: 'WebhookEventType',
  description:
    '`booking.created`: a booking was made (`confirmed`, or `pending_payment` while payments are on); `booking.confirmed`: a session will take place (at once when no payment is needed, else when the payment arrived); `booking.rescheduled`: moved to a new time (`previous_start_time` says from when); `booking.cancelled`; `booking.expired`: a hold ended unpaid (or was paid too late to keep its slot: then `refund` says what is returned); `payment.refunded`: the money of a cancelled or late-paid session was returned.',
  example: 'booking.confirmed',
});

export const BookingEventDataSchema = z
  .object({
    booking_id: IdAnswerSchema.meta({ example: 42 }),
    student_id: IdAnswerSchema.meta({ example: 7 }),
    mentor_id: IdAnswerSchema.meta({ example: 3 }),
    area_of_expertise: z.string().nullable().meta({
      description: 'The area the session was booked for; null when the mentor was picked without one',
      example: 'Equity Research',
    }),
    start_time: InstantSchema.meta({ example: '2026-12-01T13:30:00.000Z' }),
    end_time: InstantSchema.meta({ example: '2026-12-01T14:00:00.000Z' }),
    duration: SessionMinutesSchema,
    cost: MoneySchema,
    currency: z.string().meta({ example: 'INR' }),
    status: BookingStatusSchema,
    previous_start_time: InstantSchema.nullable().meta({
      description: 'On `booking.rescheduled`, the start before the move; null otherwise',
      example: null,
    }),
    reason: z.string().nullable().meta({
      description: 'Why it was cancelled or expired, when known',
      example: null,
    }),
    refund: MoneySchema.nullable().meta({
      description: 'On `payment.refunded` (and a cancellation that refunds), the amount returned, in rupees',
      example: null,
    }),
  })
  .meta({
    id: 'BookingEventData',
    description: 'The booking as the change left it, at the moment of the change.',
  });

export const WebhookEventSchema = z
  .object({
    type: WebhookEventTypeSchema,
    timestamp: InstantSchema.meta({
      description: 'When the change happened (the same on every retry)',
      example: '2026-11-28T10:00:00.000Z',
    }),
    data: BookingEventDataSchema,
  })
  .meta({
    id: 'WebhookEvent',
    description:
      'What a subscribed endpoint receives, as JSON, signed per the Standard Webhooks specification: headers `webhook-id` (the same on every retry of one message: deduplicate on it), `webhook-timestamp` (seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` with the endpoint’s `whsec_` secret). Answer 2xx within 5 seconds; anything else is retried with exponential backoff.',
  });

const WebhookUrlSchema = z.string().trim().min(1).max(2000).meta({
  description:
    'An http(s) URL. In production, private, loopback and link-local destinations are refused unless `WEBHOOK_ALLOW_PRIVATE=true`',
  example: 'https://partner.example.com/hooks/mentor-sessions',
});

export const CreateWebhookEndpointSchema = z.object({
  url: WebhookUrlSchema,
  events: z
    .array(WebhookEventTypeSchema)
    .min(1)
    .max(webhookEventTypes.length)
    .meta({ description: 'The event types to deliver', example: ['booking.confirmed', 'booking.cancelled'] }),
  description: textSchema({ max: 200 })
    .optional()
    .meta({ description: 'A note for admins', example: 'CRM sync' }),
});

export const WebhookEndpointSchema = z
  .object({
    id: IdAnswerSchema.meta({ example: 1 }),
    url: z.string().meta({ example: 'https://partner.example.com/hooks/mentor-sessions' }),
    events: z.array(WebhookEventTypeSchema),
    description: z.string().nullable().meta({ example: 'CRM sync' }),
    created_at: InstantSchema,
  })
  .meta({ id: 'WebhookEndpoint', description: 'A third party’s subscription to booking events.' });

export const CreatedWebhookEndpointSchema = WebhookEndpointSchema.extend({
  secret: z.string().meta({
    description: 'The signing secret (`whsec_…`). Shown only in this answer: store it now',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  }),
}).meta({ id: 'CreatedWebhookEndpoint', description: 'A new endpoint, with its secret (shown once).' });

export const WebhookEndpointIdParamsSchema = z.object({ id: IdParamSchema });

export const deliveryStatuses = ['pending', 'sent', 'failed', 'skipped'] as const;
export const DeliveryStatusSchema = z.enum(deliveryStatuses).meta({
  id: 'DeliveryStatus',
  description:
    '`pending`: waiting for its time (a reminder) or its next try; `sent`: delivered; `failed`: every try failed, a dead letter an admin may retry; `skipped`: no longer to send (a reminder of a session moved or cancelled, a recipient without an email address, an endpoint deleted, email off)',
  example: 'failed',
});

export const WebhookAttemptSchema = z
  .object({
    id: IdAnswerSchema,
    delivery_id: IdAnswerSchema,
    event_type: WebhookEventTypeSchema,
    booking_id: IdAnswerSchema,
    webhook_id: z.string().meta({ description: 'The `webhook-id` header sent', example: 'msg_2b7c9f0e1d4a' }),
    attempted_at: InstantSchema,
    succeeded: z.boolean().meta({ example: false }),
    response_status: z.number().int().min(100).max(599).nullable().meta({
      description: 'The endpoint’s HTTP status; null when no answer came (timeout, refused connection)',
      example: 500,
    }),
    error: z.string().nullable().meta({ example: 'answered 500' }),
    duration_ms: CountSchema.meta({ example: 87 }),
  })
  .meta({ id: 'WebhookAttempt', description: 'One try at delivering an event to an endpoint.' });

export const ListWebhookAttemptsQuerySchema = z.object({ ...pageQueryShape });

export const outboxChannels = ['email', 'webhook'] as const;

export const OutboxDeliverySchema = z
  .object({
    id: IdAnswerSchema,
    event_type: WebhookEventTypeSchema,
    booking_id: IdAnswerSchema,
    channel: z.enum(outboxChannels).meta({ example: 'webhook' }),
    recipient: z.enum(['student', 'mentor']).nullable().meta({
      description: 'Whom an email is for; null for webhooks',
      example: null,
    }),
    webhook_endpoint_id: IdAnswerSchema.nullable().meta({ example: 1 }),
    message: z.string().meta({
      description:
        'What is sent: an email (`confirmed`, `rescheduled`, `cancelled`, `reminder`, `expired`) or the event type',
      example: 'booking.confirmed',
    }),
    status: DeliveryStatusSchema,
    attempts: CountSchema.meta({ example: 8 }),
    last_error: z.string().nullable().meta({ example: 'answered 503' }),
    next_attempt_at: InstantSchema.nullable().meta({
      description: 'When a `pending` delivery is next tried (or a reminder is due)',
      example: null,
    }),
    sent_at: InstantSchema.nullable().meta({ example: null }),
    created_at: InstantSchema,
  })
  .meta({ id: 'OutboxDelivery', description: 'One message the outbox delivers: an email or a webhook.' });

export const ListOutboxQuerySchema = z.object({
  status: DeliveryStatusSchema.optional().meta({
    description: 'Only deliveries in this state (`failed`: dead letters)',
  }),
  channel: z
    .enum(outboxChannels)
    .optional()
    .meta({ description: 'Only emails or only webhooks', example: 'webhook' }),
  booking_id: IdParamSchema.optional().meta({ description: 'Only the messages about this booking' }),
  ...pageQueryShape,
});

export const OutboxDeliveryIdParamsSchema = z.object({ id: IdParamSchema });

export const CalendarFeedSchema = z
  .object({
    url: z.string().meta({
      description:
        'Your private calendar URL (iCalendar): subscribe to it in Google, Apple or Outlook calendar. Anyone with it sees your sessions: keep it private; asking again gives a new one and the old stops working',
      example: 'https://sessions.example.com/api/calendar-feeds/kJ3p9_Xq2ZrT8vY1wLmN4cB6dF0gH5sA.ics',
    }),
  })
  .meta({ id: 'CalendarFeed', description: 'A private subscription URL for your sessions.' });

export const CalendarFeedTokenParamsSchema = z.object({
  token: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}\.ics$/, 'A calendar feed address as POST /api/me/calendar-feed gives it')
    .meta({
      description: 'The secret part of the feed URL, with `.ics`',
      example: 'kJ3p9_Xq2ZrT8vY1wLmN4cB6dF0gH5sAaBcDeFgHiJk.ics',
    }),
});

export const CalendarTextSchema = z.string().meta({
  id: 'CalendarText',
  description: 'An iCalendar (RFC 5545) document',
  example:
    'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Mentor sessions//scheduling//EN\r\nMETHOD:PUBLISH\r\nBEGIN:VEVENT\r\nUID:booking-42-1764321000000@sessions.example.com\r\nSEQUENCE:0\r\nDTSTAMP:20261128T100000Z\r\nDTSTART:20261201T133000Z\r\nDTEND:20261201T140000Z\r\nSUMMARY:Equity Research session\r\nSTATUS:CONFIRMED\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n',
});

export type BookingEventData = z.infer<typeof BookingEventDataSchema>;
export type WebhookEvent = z.infer<typeof WebhookEventSchema>;
export type WebhookEndpoint = z.infer<typeof WebhookEndpointSchema>;
export type OutboxDelivery = z.infer<typeof OutboxDeliverySchema>;
export type WebhookAttempt = z.infer<typeof WebhookAttemptSchema>;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

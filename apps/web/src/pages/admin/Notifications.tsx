import { zodResolver } from '@hookform/resolvers/zod';
import type { RouterOutputs } from '@mentor-scheduling/client';
import {
  CreateWebhookEndpointSchema,
  deliveryStatuses,
  outboxChannels,
  webhookEventTypes,
} from '@mentor-scheduling/contracts';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Copy, RotateCcw, TriangleAlert } from 'lucide-react';
import { useEffect, useId, useRef, useState } from 'react';
import { Controller, useForm } from 'react-hook-form';
import { Link, useSearchParams } from 'react-router';
import type { z } from 'zod';
import { CheckboxList } from '../../components/CheckboxList.js';
import { Empty } from '../../components/Empty.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { Field } from '../../components/Field.js';
import { usePageTitle } from '../../components/Layout.js';
import { Loading } from '../../components/Loading.js';
import { formIssueMessage } from '../../errors.js';
import { formatInstant } from '../../time.js';
import { useTRPC } from '../../trpc.js';
import { PageButtons, tableWrapStyle, usePager, usePlatformZone } from './shared.js';

type Delivery = RouterOutputs['outbox']['list']['items'][number];
type DeliveryStatus = (typeof deliveryStatuses)[number];
type Channel = (typeof outboxChannels)[number];
type WebhookEndpoint = RouterOutputs['webhooks']['list'][number];
type EventType = (typeof webhookEventTypes)[number];

const deliveryStatusLabels: Record<DeliveryStatus, string> = {
  failed: 'Failed',
  pending: 'Waiting to be sent',
  sent: 'Sent',
  skipped: 'Skipped',
};

const deliveryStatusTones: Record<DeliveryStatus, string> = {
  failed: 'badge badge-danger',
  pending: 'badge badge-warning',
  sent: 'badge badge-success',
  skipped: 'badge',
};

// Dead letters first: they are what an admin comes here for.
const statusChoices: DeliveryStatus[] = ['failed', 'pending', 'sent', 'skipped'];

const eventLabels: Record<EventType, string> = {
  'booking.created': 'Booking made',
  'booking.confirmed': 'Session confirmed',
  'booking.rescheduled': 'Session moved',
  'booking.cancelled': 'Session cancelled',
  'booking.expired': 'Hold expired unpaid',
  'payment.refunded': 'Payment refunded',
};

/** /admin/notifications: emails and webhooks sent about bookings, retrying dead letters; webhook endpoints. */
export function AdminNotificationsPage() {
  usePageTitle('Notifications');
  const zone = usePlatformZone();
  return (
    <section className="stack">
      <h1>Notifications</h1>
      {zone ? (
        <>
          <Messages zone={zone} />
          <WebhookEndpoints zone={zone} />
        </>
      ) : (
        <Loading label="Loading notifications…" />
      )}
    </section>
  );
}

function Messages({ zone }: { zone: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const headingId = useId();
  const [params, setParams] = useSearchParams();
  const wantedStatus = params.get('status');
  // No status in the address means the dead letters; "any" means every message.
  const status: DeliveryStatus | null =
    wantedStatus === 'any'
      ? null
      : (deliveryStatuses as readonly string[]).includes(wantedStatus ?? '')
        ? (wantedStatus as DeliveryStatus)
        : 'failed';
  const wantedChannel = params.get('channel') ?? '';
  const channel = (outboxChannels as readonly string[]).includes(wantedChannel)
    ? (wantedChannel as Channel)
    : null;
  const pager = usePager(`${status ?? 'any'}|${channel ?? ''}`);
  const input: { limit: number; status?: DeliveryStatus; channel?: Channel; cursor?: string } = { limit: 50 };
  if (status) input.status = status;
  if (channel) input.channel = channel;
  if (pager.cursor) input.cursor = pager.cursor;
  const messages = useQuery(trpc.outbox.list.queryOptions(input, { placeholderData: keepPreviousData }));
  const [retried, setRetried] = useState<Delivery | null>(null);
  const retry = useMutation(
    trpc.outbox.retry.mutationOptions({
      onSuccess: async (delivery) => {
        setRetried(delivery);
        await queryClient.invalidateQueries(trpc.outbox.list.pathFilter());
      },
    }),
  );

  const setParam = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  };

  return (
    <section className="stack" aria-labelledby={headingId}>
      <h2 id={headingId}>Messages</h2>
      <p className="muted">
        Emails and webhooks about bookings. A message whose every try failed (8 tries over about two hours) is
        kept as failed until you send it again.
      </p>
      <search aria-label="Filter messages" className="grid">
        <Field label="Status">
          {(control) => (
            <select
              {...control}
              value={status ?? 'any'}
              onChange={(event) =>
                setParam('status', event.target.value === 'failed' ? '' : event.target.value)
              }
            >
              {statusChoices.map((one) => (
                <option key={one} value={one}>
                  {deliveryStatusLabels[one]}
                </option>
              ))}
              <option value="any">Any status</option>
            </select>
          )}
        </Field>
        <Field label="Channel">
          {(control) => (
            <select
              {...control}
              value={channel ?? ''}
              onChange={(event) => setParam('channel', event.target.value)}
            >
              <option value="">Emails and webhooks</option>
              <option value="email">Emails</option>
              <option value="webhook">Webhooks</option>
            </select>
          )}
        </Field>
      </search>
      <p role="status" className={retried ? 'notice notice-success' : 'visually-hidden'}>
        {retried && `Message #${retried.id} is queued to be sent again.`}
      </p>
      {retry.error && <ErrorNotice error={retry.error} />}

      {messages.isPending ? (
        <Loading label="Loading messages…" />
      ) : messages.isError ? (
        <ErrorNotice error={messages.error} onRetry={() => messages.refetch()} />
      ) : messages.data.items.length === 0 ? (
        <Empty title={status === 'failed' ? 'No failed messages' : 'No messages here'}>
          <p>
            {status === 'failed'
              ? 'Every message was delivered, or is still being tried.'
              : 'Try another status or channel.'}
          </p>
        </Empty>
      ) : (
        <>
          <div className="table-wrap" style={tableWrapStyle} aria-busy={messages.isPlaceholderData}>
            <table>
              <caption>
                {status ? deliveryStatusLabels[status] : 'All'} messages, newest first, page {pager.page}{' '}
                <span className="muted">(times in {zone})</span>
              </caption>
              <thead>
                <tr>
                  <th scope="col">Created</th>
                  <th scope="col">Message</th>
                  <th scope="col">Channel</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="number">
                    Tries
                  </th>
                  <th scope="col">Last error</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {messages.data.items.map((delivery) => (
                  <tr key={delivery.id}>
                    <td>{formatInstant(delivery.created_at, zone, { withZone: true })}</td>
                    <td>
                      {delivery.message}
                      <span style={{ display: 'block' }}>
                        <Link to={`/bookings/${delivery.booking_id}`}>Booking #{delivery.booking_id}</Link>
                      </span>
                    </td>
                    <td>
                      {delivery.channel === 'email'
                        ? `Email to the ${delivery.recipient ?? 'recipient'}`
                        : `Webhook to endpoint #${delivery.webhook_endpoint_id ?? '?'}`}
                    </td>
                    <td>
                      <span className={deliveryStatusTones[delivery.status]}>
                        {deliveryStatusLabels[delivery.status]}
                      </span>
                      {delivery.status === 'sent' && delivery.sent_at && (
                        <span className="muted" style={{ display: 'block', fontSize: '0.9rem' }}>
                          {formatInstant(delivery.sent_at, zone)}
                        </span>
                      )}
                      {delivery.status === 'pending' && delivery.next_attempt_at && (
                        <span className="muted" style={{ display: 'block', fontSize: '0.9rem' }}>
                          Next try {formatInstant(delivery.next_attempt_at, zone)}
                        </span>
                      )}
                    </td>
                    <td className="number">{delivery.attempts}</td>
                    <td style={{ overflowWrap: 'anywhere' }}>
                      {delivery.last_error ?? <span className="muted">None</span>}
                    </td>
                    <td>
                      {delivery.status === 'failed' && (
                        <button
                          type="button"
                          className="button button-secondary"
                          disabled={retry.isPending && retry.variables?.id === delivery.id}
                          onClick={() => retry.mutate({ id: delivery.id })}
                        >
                          <RotateCcw aria-hidden="true" />
                          Retry<span className="visually-hidden"> message #{delivery.id}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <PageButtons pager={pager} nextCursor={messages.data.nextCursor} label="Pages of messages" />
        </>
      )}
    </section>
  );
}

function WebhookEndpoints({ zone }: { zone: string }) {
  const trpc = useTRPC();
  const headingId = useId();
  const endpoints = useQuery(trpc.webhooks.list.queryOptions());
  const [removed, setRemoved] = useState<string | null>(null);

  return (
    <section className="stack" aria-labelledby={headingId}>
      <h2 id={headingId}>Webhook endpoints</h2>
      <p className="muted">
        Other systems can follow bookings: each endpoint receives the events it subscribed to, signed with its
        secret.
      </p>
      <p role="status" className={removed ? 'notice notice-success' : 'visually-hidden'}>
        {removed && `${removed} no longer receives events.`}
      </p>
      {endpoints.isPending ? (
        <Loading label="Loading webhook endpoints…" />
      ) : endpoints.isError ? (
        <ErrorNotice error={endpoints.error} onRetry={() => endpoints.refetch()} />
      ) : endpoints.data.length === 0 ? (
        <Empty title="No webhook endpoints yet" />
      ) : (
        <ul className="stack" style={{ listStyle: 'none', padding: 0 }}>
          {endpoints.data.map((endpoint) => (
            <EndpointItem key={endpoint.id} endpoint={endpoint} zone={zone} onRemoved={setRemoved} />
          ))}
        </ul>
      )}
      <AddEndpoint onAdded={() => setRemoved(null)} />
    </section>
  );
}

function EndpointItem({
  endpoint,
  zone,
  onRemoved,
}: {
  endpoint: WebhookEndpoint;
  zone: string;
  onRemoved: (url: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [showAttempts, setShowAttempts] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const attemptsId = useId();
  const remove = useMutation(
    trpc.webhooks.delete.mutationOptions({
      onSuccess: async () => {
        onRemoved(endpoint.url);
        await queryClient.invalidateQueries(trpc.webhooks.list.pathFilter());
      },
    }),
  );

  return (
    <li className="card stack">
      <div>
        <p style={{ margin: 0, fontWeight: 600, overflowWrap: 'anywhere' }}>
          <code>{endpoint.url}</code>
        </p>
        {endpoint.description && <p style={{ margin: 0 }}>{endpoint.description}</p>}
        <p className="muted" style={{ margin: 0 }}>
          Events: {endpoint.events.map((event) => eventLabels[event]).join(', ')}. Added{' '}
          {formatInstant(endpoint.created_at, zone, { withZone: true })}.
        </p>
      </div>
      <div className="actions">
        <button
          type="button"
          className="button button-secondary"
          aria-expanded={showAttempts}
          aria-controls={showAttempts ? attemptsId : undefined}
          onClick={() => setShowAttempts(!showAttempts)}
        >
          {showAttempts ? 'Hide attempts' : 'Show attempts'}
          <span className="visually-hidden"> to {endpoint.url}</span>
        </button>
        {!confirming && (
          <button type="button" className="button button-secondary" onClick={() => setConfirming(true)}>
            Remove<span className="visually-hidden"> {endpoint.url}</span>
          </button>
        )}
      </div>
      {confirming && (
        <div className="notice notice-warning">
          <TriangleAlert className="notice-icon" aria-hidden="true" />
          <div className="notice-body">
            <p className="notice-message">Remove this endpoint?</p>
            <p>
              It stops receiving events at once, retries still waiting included. Its past attempts stay
              readable.
            </p>
            {remove.error && <ErrorNotice error={remove.error} />}
            <div className="actions">
              <button
                type="button"
                className="button button-danger"
                disabled={remove.isPending}
                onClick={() => remove.mutate({ id: endpoint.id })}
              >
                {remove.isPending ? 'Removing…' : 'Remove endpoint'}
              </button>
              <button type="button" className="button button-secondary" onClick={() => setConfirming(false)}>
                Keep it
              </button>
            </div>
          </div>
        </div>
      )}
      {showAttempts && (
        <div id={attemptsId}>
          <Attempts endpoint={endpoint} zone={zone} />
        </div>
      )}
    </li>
  );
}

function Attempts({ endpoint, zone }: { endpoint: WebhookEndpoint; zone: string }) {
  const trpc = useTRPC();
  const pager = usePager(String(endpoint.id));
  const input: { id: number; limit: number; cursor?: string } = { id: endpoint.id, limit: 20 };
  if (pager.cursor) input.cursor = pager.cursor;
  const attempts = useQuery(
    trpc.webhooks.attempts.queryOptions(input, { placeholderData: keepPreviousData }),
  );

  if (attempts.isPending) return <Loading label="Loading attempts…" />;
  if (attempts.isError) return <ErrorNotice error={attempts.error} onRetry={() => attempts.refetch()} />;
  if (attempts.data.items.length === 0) return <Empty title="Nothing was sent to this endpoint yet" />;
  return (
    <>
      <div className="table-wrap" style={tableWrapStyle} aria-busy={attempts.isPlaceholderData}>
        <table>
          <caption>
            Attempts to {endpoint.url}, newest first <span className="muted">(times in {zone})</span>
          </caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">Result</th>
              <th scope="col" className="number">
                Time taken
              </th>
            </tr>
          </thead>
          <tbody>
            {attempts.data.items.map((attempt) => (
              <tr key={attempt.id}>
                <td>{formatInstant(attempt.attempted_at, zone, { withZone: true })}</td>
                <td>
                  {eventLabels[attempt.event_type]}{' '}
                  <Link to={`/bookings/${attempt.booking_id}`}>Booking #{attempt.booking_id}</Link>
                </td>
                <td>
                  <span className={attempt.succeeded ? 'badge badge-success' : 'badge badge-danger'}>
                    {attempt.succeeded ? 'Delivered' : 'Failed'}
                  </span>{' '}
                  {attempt.response_status !== null
                    ? `answered ${attempt.response_status}`
                    : (attempt.error ?? 'no answer')}
                </td>
                <td className="number">{attempt.duration_ms} ms</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <PageButtons
        pager={pager}
        nextCursor={attempts.data.nextCursor}
        label={`Pages of attempts to ${endpoint.url}`}
      />
    </>
  );
}

type EndpointInput = z.input<typeof CreateWebhookEndpointSchema>;
type EndpointOutput = z.output<typeof CreateWebhookEndpointSchema>;

const blankToUndefined = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

function AddEndpoint({ onAdded }: { onAdded: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const headingId = useId();
  const eventsErrorId = useId();
  const create = useMutation(
    trpc.webhooks.create.mutationOptions({
      onSuccess: async () => {
        onAdded();
        reset();
        await queryClient.invalidateQueries(trpc.webhooks.list.pathFilter());
      },
    }),
  );
  const {
    register,
    control,
    handleSubmit,
    reset,
    formState: { errors },
  } = useForm<EndpointInput, unknown, EndpointOutput>({
    resolver: zodResolver(CreateWebhookEndpointSchema, { error: formIssueMessage }),
    // Most receivers want every event; unticking is quicker than ticking six boxes.
    defaultValues: { url: '', events: [...webhookEventTypes] },
  });

  const onSubmit = handleSubmit((values) => create.mutate(values));

  return (
    <section className="card stack" aria-labelledby={headingId}>
      <h3 id={headingId}>Add an endpoint</h3>
      {create.data && (
        <SecretOnce url={create.data.url} secret={create.data.secret} onDone={() => create.reset()} />
      )}
      <form className="form stack" noValidate onSubmit={onSubmit}>
        <Field label="URL" hint="An https address that answers within 5 seconds" error={errors.url?.message}>
          {(c) => (
            <input
              {...c}
              type="url"
              inputMode="url"
              autoComplete="off"
              placeholder="https://"
              {...register('url')}
            />
          )}
        </Field>
        <fieldset
          aria-describedby={errors.events ? eventsErrorId : undefined}
          aria-invalid={errors.events ? true : undefined}
        >
          <legend>Events</legend>
          <Controller
            control={control}
            name="events"
            render={({ field }) => (
              <CheckboxList
                style={{ display: 'flex', flexDirection: 'column' }}
                name={field.name}
                options={webhookEventTypes}
                chosen={field.value}
                onChange={field.onChange}
                onBlur={field.onBlur}
                label={(event) => (
                  <>
                    {eventLabels[event]} <code className="muted">{event}</code>
                  </>
                )}
              />
            )}
          />
          {errors.events && (
            <p className="field-error" id={eventsErrorId}>
              Choose at least one event.
            </p>
          )}
        </fieldset>
        <Field
          label="Description"
          hint="Optional: a note for admins, like “CRM sync”"
          error={errors.description?.message}
        >
          {(c) => (
            <input {...c} autoComplete="off" {...register('description', { setValueAs: blankToUndefined })} />
          )}
        </Field>
        {create.error && <ErrorNotice error={create.error} />}
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={create.isPending}>
            {create.isPending ? 'Adding…' : 'Add endpoint'}
          </button>
        </div>
      </form>
    </section>
  );
}

/** The new endpoint's signing secret: the only time the server shows it. */
function SecretOnce({ url, secret, onDone }: { url: string; secret: string; onDone: () => void }) {
  const field = useRef<HTMLInputElement>(null);
  const secretId = useId();
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  // The secret is what the admin must act on now: keyboard and screen reader users land on it.
  useEffect(() => {
    field.current?.focus();
  }, []);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('yes');
    } catch {
      // No clipboard (an insecure page, a refusal): leave the text selected to copy by hand.
      field.current?.select();
      setCopied('no');
    }
  };

  return (
    <div className="notice notice-warning">
      <TriangleAlert className="notice-icon" aria-hidden="true" />
      <div className="notice-body stack">
        <p className="notice-message" style={{ overflowWrap: 'anywhere' }}>
          {url} is added. Store its signing secret now: it will not be shown again.
        </p>
        <div className="field">
          <label htmlFor={secretId}>Signing secret</label>
          <input
            id={secretId}
            ref={field}
            readOnly
            value={secret}
            style={{ fontFamily: 'var(--font-mono)' }}
            onFocus={(event) => event.target.select()}
          />
        </div>
        <div className="actions">
          <button type="button" className="button button-primary" onClick={copy}>
            <Copy aria-hidden="true" />
            Copy secret
          </button>
          <button type="button" className="button button-secondary" onClick={onDone}>
            I have stored it
          </button>
        </div>
        <p role="status" style={{ margin: 0 }}>
          {copied === 'yes' && 'Copied.'}
          {copied === 'no' && 'Copying was refused here: the secret is selected, copy it with your keyboard.'}
        </p>
      </div>
    </div>
  );
}

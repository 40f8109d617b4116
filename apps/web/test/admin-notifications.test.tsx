import type { RouterOutputs } from '@mentor-scheduling/client';
import { webhookEventTypes } from '@mentor-scheduling/contracts';
import { configure, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { errorSentences } from '../src/errors.js';
import { account, type FakeAnswer, type FakeCall, fill, renderApp, unexpectedCall } from './harness.js';

// The first render loads the page's module (and recharts) on demand, which takes more than the
// default second on a busy machine; every wait still ends as soon as its element appears.
configure({ asyncUtilTimeout: 5000 });

/** The table row holding an element (role queries on rows name them by all their text, which is slow). */
function rowOf(element: HTMLElement): HTMLElement {
  return element.closest('tr') as HTMLElement;
}

type Delivery = RouterOutputs['outbox']['list']['items'][number];
type Endpoint = RouterOutputs['webhooks']['list'][number];

function delivery(id: number, changes: Partial<Delivery> = {}): Delivery {
  return {
    id,
    event_type: 'booking.confirmed',
    booking_id: 42,
    channel: 'webhook',
    recipient: null,
    webhook_endpoint_id: 1,
    message: 'booking.confirmed',
    status: 'failed',
    attempts: 8,
    last_error: 'answered 503',
    next_attempt_at: null,
    sent_at: null,
    created_at: '2026-11-28T10:00:00.000Z',
    ...changes,
  };
}

function endpoint(id: number, url: string): Endpoint {
  return {
    id,
    url,
    events: ['booking.confirmed', 'booking.cancelled'],
    description: 'CRM sync',
    created_at: '2026-11-01T09:00:00.000Z',
  };
}

interface World {
  deliveries: Delivery[];
  endpoints: Endpoint[];
}

/** The outbox and webhook endpoints of an admin's server, changed by retries, adds and removals. */
function notificationsServer(world: World, extra: (call: FakeCall) => FakeAnswer | null = () => null) {
  return (call: FakeCall): FakeAnswer => {
    const answered = extra(call);
    if (answered) return answered;
    const input = (call.input ?? {}) as Record<string, unknown>;
    switch (call.path) {
      case 'auth.me':
        return { data: account('admin', 'admin@example.com') };
      case 'reports.dashboard':
        return { data: { timezone: 'Asia/Kolkata' } };
      case 'outbox.list': {
        const items = world.deliveries.filter(
          (one) =>
            (input.status === undefined || one.status === input.status) &&
            (input.channel === undefined || one.channel === input.channel),
        );
        return { data: { items, nextCursor: null } };
      }
      case 'outbox.retry': {
        const found = world.deliveries.find((one) => one.id === input.id);
        if (!found) return { problem: 'not_found' };
        if (found.status !== 'failed') return { problem: 'delivery_not_retryable' };
        Object.assign(found, { status: 'pending', attempts: 0, next_attempt_at: '2026-11-28T12:00:00.000Z' });
        return { data: found };
      }
      case 'webhooks.list':
        return { data: world.endpoints };
      case 'webhooks.create': {
        const body = input as { url: string; events: Endpoint['events']; description?: string };
        const created = { ...endpoint(world.endpoints.length + 5, body.url), events: body.events };
        created.description = body.description ?? null;
        world.endpoints.push(created);
        return { data: { ...created, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } };
      }
      case 'webhooks.delete': {
        const found = world.endpoints.find((one) => one.id === input.id);
        if (!found) return { problem: 'not_found' };
        world.endpoints = world.endpoints.filter((one) => one !== found);
        return { data: found };
      }
      case 'webhooks.attempts':
        return {
          data: {
            items: [
              {
                id: 9,
                delivery_id: 3,
                event_type: 'booking.cancelled',
                booking_id: 42,
                webhook_id: 'msg_2b7c9f0e1d4a',
                attempted_at: '2026-11-28T10:00:05.000Z',
                succeeded: false,
                response_status: 500,
                error: 'answered 500',
                duration_ms: 87,
              },
            ],
            nextCursor: null,
          },
        };
      default:
        return unexpectedCall(call);
    }
  };
}

function inputsOf(calls: FakeCall[], path: string) {
  return calls.filter((call) => call.path === path).map((call) => call.input);
}

describe('Admin notifications', () => {
  it('lists the failed messages first and sends one again', async () => {
    const world: World = {
      deliveries: [
        delivery(3),
        delivery(2, {
          channel: 'email',
          recipient: 'student',
          message: 'confirmed',
          webhook_endpoint_id: null,
        }),
        delivery(1, { status: 'sent', sent_at: '2026-11-28T10:00:01.000Z', last_error: null, attempts: 1 }),
      ],
      endpoints: [],
    };
    const { user, calls } = renderApp({
      path: '/admin/notifications',
      token: 't',
      server: notificationsServer(world),
    });

    const status = await screen.findByLabelText('Status');
    expect(within(status).getAllByRole('option')[0]).toHaveTextContent('Failed');
    expect(status).toHaveValue('failed');
    const table = await screen.findByRole('table', { name: /Failed messages, newest first/ });
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    const email = rowOf(within(table).getByText(/Email to the student/));
    expect(email).toHaveTextContent('confirmed');
    expect(email).toHaveTextContent('Sat 28 Nov, 15:30 (Asia/Kolkata)');
    expect(rowOf(within(table).getByText(/Webhook to endpoint #1/))).toHaveTextContent('answered 503');
    expect(inputsOf(calls, 'outbox.list')).toEqual([{ limit: 50, status: 'failed' }]);

    await user.click(within(table).getByRole('button', { name: 'Retry message #3' }));
    expect(await screen.findByText('Message #3 is queued to be sent again.')).toBeVisible();
    expect(inputsOf(calls, 'outbox.retry')).toEqual([{ id: 3 }]);
    // The list is read again: the retried message is no longer a dead letter.
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Retry message #3' })).toBeNull());
    expect(screen.getByRole('button', { name: 'Retry message #2' })).toBeVisible();

    await user.selectOptions(screen.getByLabelText('Status'), 'Any status');
    await user.selectOptions(screen.getByLabelText('Channel'), 'Webhooks');
    const all = await screen.findByRole('table', { name: /All messages/ });
    await waitFor(() => expect(within(all).getAllByRole('row')).toHaveLength(3));
    expect(all).toHaveTextContent('Waiting to be sent');
    expect(all).toHaveTextContent('Sent');
    expect(inputsOf(calls, 'outbox.list').at(-1)).toEqual({ limit: 50, channel: 'webhook' });
  });

  it('explains a retry the server refuses', async () => {
    const world: World = { deliveries: [delivery(3)], endpoints: [] };
    const { user } = renderApp({
      path: '/admin/notifications',
      token: 't',
      server: notificationsServer(world, (call) =>
        call.path === 'outbox.retry' ? { problem: 'delivery_not_retryable' } : null,
      ),
    });

    await user.click(await screen.findByRole('button', { name: 'Retry message #3' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(errorSentences.delivery_not_retryable.message);
    expect(alert).toHaveTextContent(errorSentences.delivery_not_retryable.next);
  });

  it('says when there are no dead letters and no endpoints', async () => {
    renderApp({
      path: '/admin/notifications',
      token: 't',
      server: notificationsServer({ deliveries: [delivery(1, { status: 'sent' })], endpoints: [] }),
    });

    expect(await screen.findByText('No failed messages')).toBeVisible();
    expect(screen.getByText('Every message was delivered, or is still being tried.')).toBeVisible();
    expect(await screen.findByText('No webhook endpoints yet')).toBeVisible();
  });

  it('adds a webhook endpoint and shows its secret once, with a copy button', async () => {
    const world: World = { deliveries: [], endpoints: [] };
    const { user, calls } = renderApp({
      path: '/admin/notifications',
      token: 't',
      server: notificationsServer(world),
    });

    const section = (await screen.findByRole('heading', { level: 2, name: 'Webhook endpoints' })).closest(
      'section',
    ) as HTMLElement;
    // Nothing is sent without a URL and an event.
    for (const event of webhookEventTypes) {
      const box = within(section).getByLabelText(new RegExp(event.replace('.', '\\.')));
      await user.click(box);
    }
    await user.click(within(section).getByRole('button', { name: 'Add endpoint' }));
    await waitFor(() =>
      expect(within(section).getByLabelText('URL')).toHaveAccessibleDescription(/Fill this in\./),
    );
    expect(within(section).getByRole('group', { name: 'Events' })).toHaveAccessibleDescription(
      'Choose at least one event.',
    );
    expect(inputsOf(calls, 'webhooks.create')).toEqual([]);

    await fill(user, within(section).getByLabelText('URL'), 'https://partner.example.com/hooks');
    await user.click(within(section).getByLabelText(/Session cancelled/));
    await user.click(within(section).getByLabelText(/Session confirmed/));
    await fill(user, within(section).getByLabelText('Description'), 'CRM sync');
    await user.click(within(section).getByRole('button', { name: 'Add endpoint' }));

    const secret = await within(section).findByLabelText('Signing secret');
    expect(secret).toHaveValue('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    expect(secret).toHaveAttribute('readonly');
    expect(within(section).getByText(/it will not be shown again/)).toBeVisible();
    expect(inputsOf(calls, 'webhooks.create')).toEqual([
      {
        url: 'https://partner.example.com/hooks',
        // In the contract's order, whatever order they were ticked in.
        events: ['booking.confirmed', 'booking.cancelled'],
        description: 'CRM sync',
      },
    ]);
    expect(
      await within(section).findByText('https://partner.example.com/hooks', { selector: 'code' }),
    ).toBeVisible();

    await user.click(within(section).getByRole('button', { name: 'Copy secret' }));
    expect(await within(section).findByText('Copied.')).toBeVisible();
    await expect(navigator.clipboard.readText()).resolves.toBe('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');

    await user.click(within(section).getByRole('button', { name: 'I have stored it' }));
    expect(within(section).queryByLabelText('Signing secret')).toBeNull();
    expect(section).not.toHaveTextContent('whsec_');
  });

  it('shows an endpoint’s attempts and removes it after a confirmation', async () => {
    const world: World = {
      deliveries: [],
      endpoints: [endpoint(1, 'https://crm.example.com/in'), endpoint(2, 'https://audit.example.com/in')],
    };
    const { user, calls } = renderApp({
      path: '/admin/notifications',
      token: 't',
      server: notificationsServer(world),
    });

    const item = (await screen.findByText('https://crm.example.com/in', { selector: 'code' })).closest(
      'li',
    ) as HTMLElement;
    expect(item).toHaveTextContent('Events: Session confirmed, Session cancelled.');

    await user.click(
      within(item).getByRole('button', { name: 'Show attempts to https://crm.example.com/in' }),
    );
    const attempts = await within(item).findByRole('table', {
      name: /Attempts to https:\/\/crm\.example\.com\/in/,
    });
    expect(attempts).toHaveTextContent('Sat 28 Nov, 15:30 (Asia/Kolkata)');
    expect(attempts).toHaveTextContent('Session cancelled');
    expect(attempts).toHaveTextContent('Failed answered 500');
    expect(attempts).toHaveTextContent('87 ms');
    expect(inputsOf(calls, 'webhooks.attempts')).toEqual([{ id: 1, limit: 20 }]);

    await user.click(within(item).getByRole('button', { name: 'Remove https://crm.example.com/in' }));
    await user.click(within(item).getByRole('button', { name: 'Keep it' }));
    expect(inputsOf(calls, 'webhooks.delete')).toEqual([]);

    await user.click(within(item).getByRole('button', { name: 'Remove https://crm.example.com/in' }));
    await user.click(within(item).getByRole('button', { name: 'Remove endpoint' }));
    expect(await screen.findByText('https://crm.example.com/in no longer receives events.')).toBeVisible();
    await waitFor(() =>
      expect(screen.queryByRole('button', { name: /Show attempts to https:\/\/crm/ })).toBeNull(),
    );
    expect(screen.getByText('https://audit.example.com/in', { selector: 'code' })).toBeVisible();
    expect(inputsOf(calls, 'webhooks.delete')).toEqual([{ id: 1 }]);
  });
});

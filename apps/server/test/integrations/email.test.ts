import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fileMailer } from '../../src/integrations/email/file-mailer.js';
import { smtpMailer } from '../../src/integrations/email/smtp-mailer.js';
import {
  SESSION_EMAIL_KINDS,
  type SessionEmailView,
  sessionEmailTemplates,
} from '../../src/services/email-messages.js';
import type { Mailer, OutgoingEmail } from '../../src/services/notification-ports.js';

const USER = 'dispatcher';
const PASSWORD = 'pa:ss/w0rd@1';
const CREDENTIALS = `${USER}:${encodeURIComponent(PASSWORD)}`;

// A stand-in for the invitation the lead builds from the booking.
const INVITATION = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Mentor sessions//Test//EN',
  'METHOD:REQUEST',
  'BEGIN:VEVENT',
  'UID:booking-42@mentors.example',
  'DTSTAMP:20261201T090000Z',
  'DTSTART:20261207T133000Z',
  'DTEND:20261207T140000Z',
  'SUMMARY:Equity Research session with Asha Rao',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

function outgoingEmail(overrides: Partial<OutgoingEmail> = {}): OutgoingEmail {
  return {
    messageId: '<booking-42.confirmed.student@mentors.example>',
    from: { name: 'Mentor sessions', address: 'sessions@mentors.example' },
    to: { name: 'Rāhul Verma', address: 'rahul@students.example' },
    subject: 'Confirmed: Equity Research session with Asha Rao on Mon 7 Dec, 19:00',
    text: 'Hello Rāhul Verma,\n\nYour Equity Research session with Asha Rao is confirmed.\n',
    html: '<p>Hello Rāhul Verma,</p><p>Your Equity Research session with Asha Rao is confirmed.</p>',
    invitation: { method: 'REQUEST', content: INVITATION },
    ...overrides,
  };
}

interface Delivery {
  raw: Buffer;
  secure: boolean;
  user: unknown;
  recipients: string[];
}

interface SmtpPeer {
  port: number;
  deliveries: Delivery[];
  openConnections(): number;
  close(): Promise<void>;
}

/** A real SMTP server on 127.0.0.1 that wants USER/PASSWORD and keeps every message it accepts. */
async function startSmtpPeer(tls: 'none' | 'starttls' | 'implicit'): Promise<SmtpPeer> {
  const deliveries: Delivery[] = [];
  const options: SMTPServerOptions = {
    logger: false,
    secure: tls === 'implicit',
    disabledCommands: tls === 'none' ? ['STARTTLS'] : [],
    authOptional: false,
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (auth.username === USER && auth.password === PASSWORD) callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        deliveries.push({
          raw: Buffer.concat(chunks),
          secure: session.secure,
          user: session.user,
          recipients: session.envelope.rcptTo.map((recipient) => recipient.address),
        });
        callback();
      });
    },
  };
  const server = new SMTPServer(options);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    deliveries,
    openConnections: () => server.connections.size,
    close: () => new Promise<void>((resolve) => server.close(resolve)),
  };
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

function thrownBy(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

function expectSameMessage(parsed: ParsedMail, email: OutgoingEmail): void {
  expect(parsed.from?.value).toEqual([email.from]);
  expect(Array.isArray(parsed.to) ? undefined : parsed.to?.value).toEqual([email.to]);
  expect(parsed.subject).toBe(email.subject);
  expect(parsed.messageId).toBe(email.messageId);
  expect(parsed.text?.trim()).toBe(email.text.trim());
  expect(parsed.html).toBe(email.html);
  expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
}

function expectInvitation(parsed: ParsedMail, method: string): void {
  const calendar = parsed.attachments.find((part) => part.contentType === 'text/calendar');
  expect(calendar, 'a text/calendar alternative').toBeDefined();
  const contentType = calendar?.headers.get('content-type') as { params?: Record<string, string> };
  expect(contentType.params?.method).toBe(method);
  expect(calendar?.content.toString('utf8')).toBe(INVITATION);
  const file = parsed.attachments.find((part) => part.filename === 'session.ics');
  expect(file?.content.toString('utf8')).toBe(INVITATION);
}

describe('smtpMailer', () => {
  const peers: SmtpPeer[] = [];
  const mailers: Mailer[] = [];

  async function peer(tls: 'none' | 'starttls' | 'implicit'): Promise<SmtpPeer> {
    const started = await startSmtpPeer(tls);
    peers.push(started);
    return started;
  }

  function mailer(url: string): Mailer {
    const created = smtpMailer({ url });
    mailers.push(created);
    return created;
  }

  afterEach(async () => {
    await Promise.all(mailers.splice(0).map((created) => created.close()));
    await Promise.all(peers.splice(0).map((started) => started.close()));
  });

  it('delivers text, html and the invitation over plain SMTP with a password login', async () => {
    const server = await peer('none');
    const email = outgoingEmail();
    await mailer(`smtp://${CREDENTIALS}@127.0.0.1:${server.port}`).send(email);

    expect(server.deliveries).toHaveLength(1);
    const [delivery] = server.deliveries;
    expect(delivery?.user).toBe(USER);
    expect(delivery?.recipients).toEqual(['rahul@students.example']);
    const parsed = await simpleParser(delivery?.raw ?? Buffer.alloc(0));
    expectSameMessage(parsed, email);
    expectInvitation(parsed, 'REQUEST');
  });

  it('sends no calendar part without an invitation, and carries the CANCEL method when asked', async () => {
    const server = await peer('none');
    const smtp = mailer(`smtp://${CREDENTIALS}@127.0.0.1:${server.port}`);
    await smtp.send(outgoingEmail({ invitation: undefined }));
    await smtp.send(
      outgoingEmail({
        messageId: '<booking-42.cancelled.student@mentors.example>',
        invitation: { method: 'CANCEL', content: INVITATION },
      }),
    );

    const [plain, cancelled] = await Promise.all(
      server.deliveries.map((delivery) => simpleParser(delivery.raw)),
    );
    expect(plain?.attachments).toEqual([]);
    expect(cancelled?.messageId).toBe('<booking-42.cancelled.student@mentors.example>');
    if (cancelled) expectInvitation(cancelled, 'CANCEL');
  });

  it('upgrades to TLS with STARTTLS when the server offers it', async () => {
    const server = await peer('starttls');
    // The test server's certificate is self-signed.
    await mailer(`smtp://${CREDENTIALS}@127.0.0.1:${server.port}?tls.rejectUnauthorized=false`).send(
      outgoingEmail(),
    );
    expect(server.deliveries.map((delivery) => delivery.secure)).toEqual([true]);
  });

  it('speaks TLS from the start with smtps://', async () => {
    const server = await peer('implicit');
    await mailer(`smtps://${CREDENTIALS}@127.0.0.1:${server.port}?tls.rejectUnauthorized=false`).send(
      outgoingEmail(),
    );
    expect(server.deliveries.map((delivery) => delivery.secure)).toEqual([true]);
  });

  it('rejects when the server refuses the credentials', async () => {
    const server = await peer('none');
    const error = await rejectionOf(
      mailer(`smtp://${USER}:wrong@127.0.0.1:${server.port}`).send(outgoingEmail()),
    );
    expect(error.code).toBe('EAUTH');
    expect(server.deliveries).toEqual([]);
  });

  it('rejects when nothing listens on the port', async () => {
    const port = await closedPort();
    const error = await rejectionOf(mailer(`smtp://${CREDENTIALS}@127.0.0.1:${port}`).send(outgoingEmail()));
    expect(String(error.message)).toMatch(/ECONNREFUSED/);
  });

  it('gives up on a server that accepts the connection but never greets', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      // A timeout in the URL may shorten the 10 s bound, which keeps this test fast.
      const error = await rejectionOf(
        mailer(`smtp://${CREDENTIALS}@127.0.0.1:${port}?greetingTimeout=200`).send(outgoingEmail()),
      );
      expect(error.code).toBe('ETIMEDOUT');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('ends its pooled connection on close and refuses to send afterwards', async () => {
    const server = await peer('none');
    const smtp = smtpMailer({ url: `smtp://${CREDENTIALS}@127.0.0.1:${server.port}` });
    await smtp.send(outgoingEmail());
    expect(server.openConnections()).toBe(1);

    await smtp.close();
    // Well before the pool would drop the connection for being idle (5 s).
    await vi.waitFor(() => expect(server.openConnections()).toBe(0), { timeout: 2_000, interval: 10 });
    await expect(smtp.send(outgoingEmail())).rejects.toThrow(/closed/);
  });

  it('describes where mail goes without the credentials', () => {
    const withPort = smtpMailer({ url: `smtp://${CREDENTIALS}@mail.example.com:2525` });
    const withoutPort = smtpMailer({ url: `smtps://${CREDENTIALS}@mail.example.com` });
    mailers.push(withPort, withoutPort);
    expect(withPort.description).toBe('smtp://mail.example.com:2525');
    expect(withoutPort.description).toBe('smtps://mail.example.com:465');
    expect(`${withPort.description} ${withoutPort.description}`).not.toContain('w0rd');
  });

  it('refuses a URL that is not SMTP without repeating the password', () => {
    for (const url of [`https://${CREDENTIALS}@mail.example.com`, `${CREDENTIALS}@mail example.com`]) {
      const error = thrownBy(() => smtpMailer({ url }));
      expect(error.message).toMatch(/SMTP URL/);
      expect(JSON.stringify({ ...error, message: error.message })).not.toContain('w0rd');
    }
  });
});

describe('fileMailer', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'file-mailer-'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes each message as an .eml file a mail parser reads back, and logs it', async () => {
    const directory = path.join(root, 'not', 'there', 'yet');
    const logged: Array<{ details: object; message: string | undefined }> = [];
    const files = fileMailer({
      directory,
      log: { info: (details, message) => logged.push({ details, message }) },
    });
    expect(files.description).toBe(`files in ${directory}`);

    const email = outgoingEmail();
    await files.send(email);
    // A retry of the same message must not fail.
    await files.send(email);
    await files.close();

    const names = (await readdir(directory)).sort();
    expect(names.length).toBeGreaterThanOrEqual(1);
    for (const name of names) {
      expect(name).toMatch(
        /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}Z-booking-42\.confirmed\.student_mentors\.example\.eml$/,
      );
    }
    const raw = await readFile(path.join(directory, names[0] ?? ''));
    // Line ends as SMTP carries them.
    expect(raw.toString('latin1')).toContain('\r\nSubject: ');
    const parsed = await simpleParser(raw);
    expectSameMessage(parsed, email);
    expectInvitation(parsed, 'REQUEST');

    expect(logged).toHaveLength(2);
    expect(logged[0]?.details).toEqual({
      to: 'rahul@students.example',
      subject: email.subject,
      file: path.join(directory, names[0] ?? ''),
    });
  });

  it('keeps odd message ids out of the path', async () => {
    const directory = path.join(root, 'odd');
    await fileMailer({ directory }).send(outgoingEmail({ messageId: '<../../etc/passwd@x>' }));
    const names = await readdir(directory);
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/-\.\._\.\._etc_passwd_x\.eml$/);
  });
});

describe('sessionEmailTemplates', () => {
  const templateDirectory = fileURLToPath(new URL('../../templates/email/', import.meta.url));
  const render = sessionEmailTemplates();

  // Mon 7 Dec 2026, 13:30–14:00 UTC: 19:00 in Kolkata, 13:30 in London.
  const START = Date.UTC(2026, 11, 7, 13, 30);
  const END = Date.UTC(2026, 11, 7, 14, 0);

  function studentView(overrides: Partial<SessionEmailView> = {}): SessionEmailView {
    return {
      kind: 'confirmed',
      bookingId: 42,
      recipient: { name: 'Rahul Verma', role: 'student', timeZone: 'Asia/Kolkata' },
      otherParty: { name: 'Asha Rao', role: 'mentor' },
      area: 'Equity Research',
      start: START,
      end: END,
      durationMinutes: 30,
      priceMinor: 200_000,
      currency: 'INR',
      manageUrl: 'https://mentors.example/bookings/42',
      ...overrides,
    };
  }

  function mentorView(overrides: Partial<SessionEmailView> = {}): SessionEmailView {
    return studentView({
      recipient: { name: 'Asha Rao', role: 'mentor', timeZone: 'Europe/London' },
      otherParty: { name: 'Rahul Verma', role: 'student' },
      ...overrides,
    });
  }

  const EXTRAS: Partial<SessionEmailView> = {
    previous: { start: START - 86_400_000, end: END - 86_400_000 },
    reason: 'The mentor is unwell',
    refund: { amountMinor: 200_000, status: 'pending' },
    reminderLeadMinutes: 60,
  };

  it.each(SESSION_EMAIL_KINDS.flatMap((kind) => [[kind, 'student'] as const, [kind, 'mentor'] as const]))(
    'renders %s for the %s',
    (kind, role) => {
      const view = role === 'student' ? studentView({ kind, ...EXTRAS }) : mentorView({ kind, ...EXTRAS });
      const email = render(view);
      const otherName = view.otherParty.name;
      expect(email.subject).toContain(`with ${otherName}`);
      expect(email.subject).not.toMatch(/\n/);
      expect(email.text).toContain(`Hello ${view.recipient.name},`);
      expect(email.text).toContain(`with ${otherName}`);
      expect(email.text).toContain('Mentor sessions');
      expect(email.text).toContain('Price:    2,000.00 INR');
      expect(email.text).toContain('https://mentors.example/bookings/42');
      expect(email.html).toMatch(/^<!DOCTYPE html>/);
      expect(email.html).toContain(`<title>${email.subject}</title>`);
      expect(email.html).toContain('href="https://mentors.example/bookings/42"');
      for (const body of [email.subject, email.text, email.html]) {
        expect(body).not.toMatch(/undefined|null|\[object/);
      }
    },
  );

  it('shows the time on each recipient’s own clock, with the zone named', () => {
    const student = render(studentView());
    const mentor = render(mentorView());
    expect(student.text).toContain('When:     Mon 7 Dec 2026, 19:00–19:30 (Asia/Kolkata, GMT+5:30)');
    expect(student.subject).toBe('Confirmed: Equity Research session with Asha Rao on Mon 7 Dec, 19:00');
    expect(mentor.text).toContain('When:     Mon 7 Dec 2026, 13:30–14:00 (Europe/London, GMT)');
    expect(mentor.subject).toBe('Confirmed: Equity Research session with Rahul Verma on Mon 7 Dec, 13:30');
    expect(mentor.html).toContain('Mon 7 Dec 2026, 13:30–14:00 (Europe/London, GMT)');
  });

  it('reads London times right on the Sundays the clocks change', () => {
    const london = (start: number, end: number) =>
      render(mentorView({ start, end, durationMinutes: (end - start) / 60_000 })).text;
    // 29 Mar 2026: clocks go forward at 01:00 UTC (01:00 GMT becomes 02:00 BST).
    expect(london(Date.UTC(2026, 2, 29, 10, 0), Date.UTC(2026, 2, 29, 10, 30))).toContain(
      'Sun 29 Mar 2026, 11:00–11:30 (Europe/London, GMT+1)',
    );
    expect(london(Date.UTC(2026, 2, 29, 0, 30), Date.UTC(2026, 2, 29, 1, 30))).toContain(
      'Sun 29 Mar 2026, 00:30–02:30 (Europe/London, GMT to GMT+1)',
    );
    // 25 Oct 2026: clocks go back at 01:00 UTC, so 01:30 happens twice; the offset tells which.
    expect(london(Date.UTC(2026, 9, 25, 0, 30), Date.UTC(2026, 9, 25, 0, 45))).toContain(
      'Sun 25 Oct 2026, 01:30–01:45 (Europe/London, GMT+1)',
    );
    expect(london(Date.UTC(2026, 9, 25, 1, 30), Date.UTC(2026, 9, 25, 1, 45))).toContain(
      'Sun 25 Oct 2026, 01:30–01:45 (Europe/London, GMT)',
    );
  });

  it('escapes names in HTML and leaves them as typed in text', () => {
    const email = render(studentView({ otherParty: { name: '<script>alert(1)</script>', role: 'mentor' } }));
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('with &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(email.text).toContain('with <script>alert(1)</script>');
    expect(email.subject).toContain('with <script>alert(1)</script>');
  });

  it('says how soon a reminder’s session starts', () => {
    const startsIn = (reminderLeadMinutes: number) =>
      render(studentView({ kind: 'reminder', reminderLeadMinutes })).subject;
    expect(startsIn(1440)).toBe('Reminder: Equity Research session with Asha Rao starts in 24 hours');
    expect(startsIn(60)).toMatch(/starts in 1 hour$/);
    expect(startsIn(30)).toMatch(/starts in 30 minutes$/);
    expect(startsIn(90)).toMatch(/starts in 1 hour 30 minutes$/);
  });

  it('states a cancelled session’s refund to the student, whatever became of it', () => {
    const cancelled = (status: 'pending' | 'succeeded' | 'failed') =>
      render(studentView({ kind: 'cancelled', refund: { amountMinor: 150_050, status } }));
    expect(cancelled('pending').text).toContain('A refund of 1,500.50 INR is on its way to you.');
    expect(cancelled('succeeded').text).toContain('We have refunded 1,500.50 INR to you.');
    expect(cancelled('failed').text).toContain('Our team will contact you');
    expect(cancelled('failed').html).toContain('Our team will contact you');

    const withoutRefund = render(studentView({ kind: 'cancelled', reason: 'Booked by mistake' }));
    expect(withoutRefund.text).toContain('Reason: Booked by mistake');
    expect(withoutRefund.text).not.toMatch(/refund/i);
    const mentor = render(
      mentorView({ kind: 'cancelled', refund: { amountMinor: 150_050, status: 'pending' } }),
    );
    expect(mentor.text).not.toMatch(/refund/i);
  });

  it('tells a student whose hold expired that the slot was released, and refunds a late payment', () => {
    const expired = render(studentView({ kind: 'expired' }));
    expect(expired.text).toContain('released');
    expect(expired.text).not.toMatch(/refund/i);
    const latePayment = render(
      studentView({ kind: 'expired', refund: { amountMinor: 200_000, status: 'succeeded' } }),
    );
    expect(latePayment.text).toContain('Your payment arrived after the hold expired, so we have refunded it');
    expect(latePayment.text).toContain('2,000.00 INR');
  });

  it('shows the old time of a rescheduled session', () => {
    const email = render(
      studentView({ kind: 'rescheduled', previous: { start: START - 3_600_000, end: END - 3_600_000 } }),
    );
    expect(email.text).toContain('Before:   Mon 7 Dec 2026, 18:00–18:30 (Asia/Kolkata, GMT+5:30)');
    expect(email.text).toContain('When:     Mon 7 Dec 2026, 19:00–19:30 (Asia/Kolkata, GMT+5:30)');
  });

  it('leaves out the topic without an area and the link without a web address', () => {
    const email = render(studentView({ area: null, manageUrl: 'javascript:alert(1)', priceMinor: 5 }));
    expect(email.subject).toBe('Confirmed: session with Asha Rao on Mon 7 Dec, 19:00');
    expect(email.text).not.toContain('Topic:');
    expect(email.text).toContain('Price:    0.05 INR');
    expect(email.html).not.toContain('javascript:');
    expect(render(studentView({ priceMinor: 123_456_789 })).text).toContain('Price:    1,234,567.89 INR');
  });

  it('compiles the templates of a directory once', () => {
    expect(sessionEmailTemplates(templateDirectory)).toBe(render);
  });

  describe('with templates edited by hand', () => {
    let copy: string;

    beforeAll(async () => {
      copy = await mkdtemp(path.join(os.tmpdir(), 'email-templates-'));
    });

    afterAll(async () => {
      await rm(copy, { recursive: true, force: true });
    });

    async function editedCopy(name: string, edit: (file: string) => Promise<void>): Promise<string> {
      const directory = path.join(copy, name);
      await cp(templateDirectory, directory, { recursive: true });
      await edit(directory);
      return directory;
    }

    it('refuses to start without a template, naming the file', async () => {
      const directory = await editedCopy('missing', (dir) => rm(path.join(dir, 'reminder.html.hbs')));
      const error = thrownBy(() => sessionEmailTemplates(directory));
      expect(error.message).toContain(path.join(directory, 'reminder.html.hbs'));
    });

    it('refuses to start with a template that does not parse, naming the file', async () => {
      const directory = await editedCopy('broken', (dir) =>
        writeFile(path.join(dir, 'confirmed.subject.hbs'), 'Confirmed {{#if area}'),
      );
      const error = thrownBy(() => sessionEmailTemplates(directory));
      expect(error.message).toContain(path.join(directory, 'confirmed.subject.hbs'));
    });

    it('uses the edited wording', async () => {
      const directory = await editedCopy('edited', (dir) =>
        writeFile(
          path.join(dir, 'confirmed.subject.hbs'),
          'Booked:\n  {{sessionName}}\n  {{withOtherParty}}\n',
        ),
      );
      expect(sessionEmailTemplates(directory)(studentView()).subject).toBe(
        'Booked: Equity Research session with Asha Rao',
      );
    });
  });
});

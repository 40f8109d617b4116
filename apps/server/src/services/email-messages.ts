import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { DateTime } from 'luxon';

/*
 * The emails about a mentor session: what each person is told when a booking is confirmed,
 * rescheduled, cancelled, about to start, or when an unpaid hold expired. The wording lives in
 * Handlebars templates (templates/email/) that a person can edit; this module turns a booking into
 * the values those templates show, in the recipient's time zone.
 */

export type SessionEmailKind = 'confirmed' | 'rescheduled' | 'cancelled' | 'reminder' | 'expired';

export const SESSION_EMAIL_KINDS: readonly SessionEmailKind[] = [
  'confirmed',
  'rescheduled',
  'cancelled',
  'reminder',
  'expired',
];

export interface SessionEmailView {
  kind: SessionEmailKind;
  bookingId: number;
  recipient: { name: string; role: 'student' | 'mentor'; timeZone: string };
  otherParty: { name: string; role: 'student' | 'mentor' };
  /** e.g. "Equity Research"; null when the mentor was picked without one */
  area: string | null;
  /** epoch ms */
  start: number;
  end: number;
  durationMinutes: number;
  /** paise for INR */
  priceMinor: number;
  currency: string;
  /** rescheduled: the old time */
  previous?: { start: number; end: number } | undefined;
  /** cancelled, expired */
  reason?: string | null | undefined;
  refund?: { amountMinor: number; status: 'pending' | 'succeeded' | 'failed' } | null | undefined;
  /** reminder: how long before the start it is sent */
  reminderLeadMinutes?: number | undefined;
  /** where the recipient sees the session (web app), when known */
  manageUrl: string | null;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const PRODUCT_NAME = 'Mentor sessions';

/**
 * What the templates see. Every field is always present (null when it does not apply) because the
 * templates are compiled in strict mode, where a misspelt name fails instead of printing nothing.
 */
interface SessionEmailData {
  product: string;
  subject: string;
  bookingId: number;
  recipient: { name: string; role: 'student' | 'mentor'; isStudent: boolean; isMentor: boolean };
  otherParty: { name: string; role: 'student' | 'mentor' };
  /** "with Asha Rao" */
  withOtherParty: string;
  area: string | null;
  /** "Equity Research session", or "session" without an area */
  sessionName: string;
  /** "Mon 7 Dec 2026, 19:00–19:30 (Asia/Kolkata, GMT+5:30)" */
  when: string;
  /** "Mon 7 Dec, 19:00", for subject lines */
  whenShort: string;
  previousWhen: string | null;
  duration: string;
  price: string;
  reason: string | null;
  refund: { amount: string; pending: boolean; succeeded: boolean; failed: boolean } | null;
  /** "in 24 hours", or "soon" when the lead is not known */
  startsIn: string;
  manageUrl: string | null;
}

// Fixed English names rather than Intl's, whose abbreviations differ between ICU versions
// ("Sep" or "Sept").
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function localTime(instant: number, timeZone: string): DateTime {
  const local = DateTime.fromMillis(instant, { zone: timeZone });
  if (!local.isValid) throw new RangeError(`Cannot show ${instant} in time zone ${timeZone}`);
  return local;
}

function twoDigits(value: number): string {
  return String(value).padStart(2, '0');
}

function dayText(local: DateTime, withYear: boolean): string {
  const day = `${WEEKDAYS[local.weekday - 1]} ${local.day} ${MONTHS[local.month - 1]}`;
  return withYear ? `${day} ${local.year}` : day;
}

function clockText(local: DateTime): string {
  return `${twoDigits(local.hour)}:${twoDigits(local.minute)}`;
}

/** "GMT", "GMT+1", "GMT+5:30", "GMT-3:30": the same on every machine, unlike Intl's zone names. */
function offsetText(offsetMinutes: number): string {
  if (offsetMinutes === 0) return 'GMT';
  const sign = offsetMinutes > 0 ? '+' : '-';
  const hours = Math.floor(Math.abs(offsetMinutes) / 60);
  const minutes = Math.abs(offsetMinutes) % 60;
  return `GMT${sign}${hours}${minutes ? `:${twoDigits(minutes)}` : ''}`;
}

function sameLocalDay(a: DateTime, b: DateTime): boolean {
  return a.year === b.year && a.month === b.month && a.day === b.day;
}

/** A session's time as the recipient's clock shows it, with the zone named so nobody has to guess. */
export function sessionTimeText(start: number, end: number, timeZone: string): string {
  const from = localTime(start, timeZone);
  const to = localTime(end, timeZone);
  const range = sameLocalDay(from, to)
    ? `${dayText(from, true)}, ${clockText(from)}–${clockText(to)}`
    : `${dayText(from, true)}, ${clockText(from)} – ${dayText(to, true)}, ${clockText(to)}`;
  // A session across a clock change shows both offsets: each clock time is read with its own.
  const offsets =
    from.offset === to.offset
      ? offsetText(from.offset)
      : `${offsetText(from.offset)} to ${offsetText(to.offset)}`;
  return `${range} (${timeZone}, ${offsets})`;
}

function shortTimeText(start: number, timeZone: string): string {
  const from = localTime(start, timeZone);
  return `${dayText(from, false)}, ${clockText(from)}`;
}

/** "2,000.00 INR" from 200000 paise, in integer arithmetic. */
export function moneyText(amountMinor: number, currency: string): string {
  if (!Number.isSafeInteger(amountMinor))
    throw new RangeError(`Not an amount in minor units: ${amountMinor}`);
  const magnitude = Math.abs(amountMinor);
  const fraction = magnitude % 100;
  const whole = (magnitude - fraction) / 100;
  const sign = amountMinor < 0 ? '-' : '';
  return `${sign}${whole.toLocaleString('en-US')}.${twoDigits(fraction)} ${currency}`;
}

/** "30 minutes", "1 hour", "1 hour 30 minutes", "24 hours". */
export function minutesText(total: number): string {
  const hours = Math.floor(total / 60);
  const minutes = total % 60;
  const parts: string[] = [];
  if (hours > 0) parts.push(`${hours} ${hours === 1 ? 'hour' : 'hours'}`);
  if (minutes > 0 || hours === 0) parts.push(`${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`);
  return parts.join(' ');
}

/** Only web addresses become links; anything else would be a broken or unsafe `href`. */
function webAddressOrNull(url: string | null): string | null {
  if (url === null || !URL.canParse(url)) return null;
  const { protocol } = new URL(url);
  return protocol === 'https:' || protocol === 'http:' ? url : null;
}

function dataOf(view: SessionEmailView): Omit<SessionEmailData, 'subject'> {
  const zone = view.recipient.timeZone;
  const refund = view.refund ?? null;
  return {
    product: PRODUCT_NAME,
    bookingId: view.bookingId,
    recipient: {
      name: view.recipient.name,
      role: view.recipient.role,
      isStudent: view.recipient.role === 'student',
      isMentor: view.recipient.role === 'mentor',
    },
    otherParty: { name: view.otherParty.name, role: view.otherParty.role },
    withOtherParty: `with ${view.otherParty.name}`,
    area: view.area,
    sessionName: view.area ? `${view.area} session` : 'session',
    when: sessionTimeText(view.start, view.end, zone),
    whenShort: shortTimeText(view.start, zone),
    previousWhen: view.previous ? sessionTimeText(view.previous.start, view.previous.end, zone) : null,
    duration: minutesText(view.durationMinutes),
    price: moneyText(view.priceMinor, view.currency),
    reason: view.reason?.trim() || null,
    refund: refund && {
      amount: moneyText(refund.amountMinor, view.currency),
      pending: refund.status === 'pending',
      succeeded: refund.status === 'succeeded',
      failed: refund.status === 'failed',
    },
    startsIn: view.reminderLeadMinutes === undefined ? 'soon' : `in ${minutesText(view.reminderLeadMinutes)}`,
    manageUrl: webAddressOrNull(view.manageUrl),
  };
}

type Render = (data: SessionEmailData) => string;

interface KindTemplates {
  subject: Render;
  text: Render;
  html: Render;
}

/** Shared pieces each template may use: `{{#> layout}}…{{/layout}}` and `{{> details}}`. */
const PARTIALS = ['layout', 'details'] as const;

function defaultTemplateDirectory(): string {
  // Two levels below apps/server both as source (src/services) and built (dist/services).
  return fileURLToPath(new URL('../../templates/email/', import.meta.url));
}

function loadTemplates(directory: string): Map<SessionEmailKind, KindTemplates> {
  const sources = new Map<string, string>();
  const missing: string[] = [];
  const names = [
    ...PARTIALS.flatMap((partial) => [`${partial}.text.hbs`, `${partial}.html.hbs`]),
    ...SESSION_EMAIL_KINDS.flatMap((kind) => [`${kind}.subject.hbs`, `${kind}.text.hbs`, `${kind}.html.hbs`]),
  ];
  for (const name of names) {
    const file = path.join(directory, name);
    try {
      sources.set(name, readFileSync(file, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      missing.push(file);
    }
  }
  if (missing.length > 0) throw new Error(`Email templates missing: ${missing.join(', ')}`);

  // Plain text (subjects and text bodies) and HTML get an environment each, so that each has its
  // own `layout` and `details` partials and its own escaping.
  const plain = Handlebars.create();
  const html = Handlebars.create();
  const compile = (environment: typeof Handlebars, name: string, noEscape: boolean): Render => {
    const source = sources.get(name) ?? '';
    try {
      // compile() defers parsing to the first render; parse now so a syntax error stops startup.
      environment.parse(source);
    } catch (error) {
      throw new Error(`Email template ${path.join(directory, name)}: ${(error as Error).message}`);
    }
    return environment.compile<SessionEmailData>(source, { strict: true, noEscape });
  };
  for (const partial of PARTIALS) {
    plain.registerPartial(partial, compile(plain, `${partial}.text.hbs`, true));
    html.registerPartial(partial, compile(html, `${partial}.html.hbs`, false));
  }
  return new Map(
    SESSION_EMAIL_KINDS.map((kind) => [
      kind,
      {
        subject: compile(plain, `${kind}.subject.hbs`, true),
        text: compile(plain, `${kind}.text.hbs`, true),
        html: compile(html, `${kind}.html.hbs`, false),
      },
    ]),
  );
}

/** Template files may be laid out freely; the text a mail client shows should not be. */
function tidyText(text: string): string {
  return `${text
    .split(/\r?\n/)
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

const loaded = new Map<string, (view: SessionEmailView) => RenderedEmail>();

/**
 * The renderer of session emails from the templates in `directory` (templates/email by default).
 * The templates are read and compiled once per directory; a missing or malformed one fails here,
 * at startup, rather than at the first booking.
 */
export function sessionEmailTemplates(directory?: string): (view: SessionEmailView) => RenderedEmail {
  const resolved = path.resolve(directory ?? defaultTemplateDirectory());
  const existing = loaded.get(resolved);
  if (existing) return existing;

  const templates = loadTemplates(resolved);
  const render = (view: SessionEmailView): RenderedEmail => {
    const kind = templates.get(view.kind);
    if (!kind) throw new Error(`No email templates for ${view.kind}`);
    const data = dataOf(view);
    // A subject is one header line, however the template is laid out.
    const subject = kind
      .subject({ ...data, subject: '' })
      .replace(/\s+/g, ' ')
      .trim();
    const withSubject = { ...data, subject };
    return { subject, text: tidyText(kind.text(withSubject)), html: kind.html(withSubject) };
  };
  loaded.set(resolved, render);
  return render;
}

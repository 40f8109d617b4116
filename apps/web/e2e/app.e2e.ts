import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, onTestFailed, test } from 'vitest';
import { DEMO_PASSWORD, DEMO_ZONE, freshContext, launchChromium, signIn } from './support/browser.js';
import {
  type Control,
  checkPage,
  type PageUnderTest,
  type QualityReport,
  resultsDirectory,
  summariseQualityReports,
  waitForPage,
  writeQualityReports,
} from './support/quality.js';

const baseUrl = inject('baseUrl');

const STUDENT_EMAIL = 'aarav.sharma@example.com';
const STUDENT_NAME = 'Aarav Sharma';
const ADMIN_EMAIL = 'admin@example.com';
const AREA = 'Equity Research';

/** "Book Tue 1 Dec, 19:00 (Asia/Kolkata)": the name of an open slot's button (see the UI contract). */
const openSlotName = /^Book (\w{3} \d{1,2} \w{3}, \d{2}:\d{2}) \(([^)]+)\)$/;

type Role = 'student' | 'mentor' | 'admin';

/** What the student's journey booked, for the mentor's and the admin's journeys and the booking page. */
interface BookedSession {
  id: number;
  /** As the app shows it, in the demo zone: "Tue 1 Dec, 19:00" */
  shownStart: string;
  startTime: string;
  mentorName: string;
}

interface BookingAnswer {
  id: number;
  mentor_id: number;
  start_time: string;
  area_of_expertise: string | null;
}

let browser: Browser;
let booked: BookedSession | undefined;
const signedIn = new Map<Role, BrowserContext>();
const reports: QualityReport[] = [];

function mentorEmailOf(name: string): string {
  return `${name.toLowerCase().replace(/[^a-z]+/g, '.')}@mentors.example.com`;
}

/** The bearer token the app keeps for the signed-in person, to look up ids the pages do not show. */
async function tokenOf(page: Page): Promise<string> {
  const token = await page.evaluate(() => localStorage.getItem('mentor-sessions.token'));
  if (!token) throw new Error('The app kept no token after signing in (localStorage mentor-sessions.token)');
  return token;
}

async function api<T>(path: string, token?: string): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** The texts of the list items between a section's h2 and the next h2: "Upcoming" holds no past session. */
async function itemsUnderHeading(page: Page, heading: string): Promise<string[]> {
  return page.evaluate((wanted) => {
    const headings = Array.from(document.querySelectorAll('main h2'));
    const start = headings.find((element) => element.textContent?.trim() === wanted);
    if (!start) return [];
    const end = headings[headings.indexOf(start) + 1];
    return Array.from(document.querySelectorAll('main li, main [role="listitem"]'))
      .filter(
        (item) =>
          start.compareDocumentPosition(item) & Node.DOCUMENT_POSITION_FOLLOWING &&
          (!end || end.compareDocumentPosition(item) & Node.DOCUMENT_POSITION_PRECEDING),
      )
      .map((item) => (item.textContent ?? '').replace(/\s+/g, ' ').trim());
  }, heading);
}

/**
 * The first open slot the week view offers. A week can have none left (a Sunday evening): then the
 * next week, where the demo mentors of the area always have hours.
 */
async function firstOpenSlot(page: Page): Promise<Locator> {
  const slots = page.getByRole('button', { name: openSlotName }).filter({ visible: true });
  const noneThisWeek = page.getByText('No open times this week', { exact: true });
  await slots.first().or(noneThisWeek).waitFor();
  if (await noneThisWeek.isVisible()) {
    await page.getByRole('button', { name: 'Next week', exact: true }).click();
    await slots.first().waitFor();
  }
  return slots.first();
}

/**
 * How many weeks (Monday to Sunday in the demo zone) after this one the session starts in: the
 * calendar and the dashboard open on this week and move a week a click.
 */
function weeksAhead(startTime: string): number {
  const thisWeek = DateTime.now().setZone(DEMO_ZONE).startOf('week');
  const sessionWeek = DateTime.fromISO(startTime, { zone: DEMO_ZONE }).startOf('week');
  return Math.round(sessionWeek.diff(thisWeek, 'weeks').weeks);
}

async function clickNextWeek(page: Page, times: number): Promise<void> {
  for (let click = 0; click < times; click += 1) {
    await page.getByRole('button', { name: 'Next week', exact: true }).click();
  }
}

async function contextFor(role: Role, email: string): Promise<{ context: BrowserContext; page: Page }> {
  const existing = signedIn.get(role);
  if (existing) return { context: existing, page: await existing.newPage() };
  const context = await freshContext(browser, baseUrl);
  const page = await context.newPage();
  await signIn(page, email);
  signedIn.set(role, context);
  return { context, page };
}

/** On a failed journey, how the page looked: test-results/failures/<name>.png */
function keepScreenshotOnFailure(page: Page, name: string): void {
  onTestFailed(async () => {
    await page.screenshot({ path: join(resultsDirectory, 'failures', `${name}.png`), fullPage: true });
  });
}

/** A new student, registered through the API, for the journeys that erase one: the demo students stay. */
async function registerStudent(name: string): Promise<{ id: number; email: string }> {
  const email = `${name.toLowerCase().replace(/[^a-z]+/g, '.')}.${Date.now()}@example.com`;
  const response = await fetch(`${baseUrl}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, email, password: DEMO_PASSWORD }),
  });
  if (!response.ok)
    throw new Error(`Registering ${email} answered ${response.status}: ${await response.text()}`);
  const answer = (await response.json()) as { account: { student_id: number } };
  return { id: answer.account.student_id, email };
}

function requireBooking(): BookedSession {
  if (!booked) throw new Error("The student's journey booked nothing, so this check has nothing to look at");
  return booked;
}

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  if (reports.length > 0) {
    const file = writeQualityReports(reports);
    console.log(`Quality findings (also in ${file}):\n${summariseQualityReports(reports)}`);
  }
  await browser?.close();
});

describe.sequential('journeys', () => {
  test('a student books an assigned session and sees it under My sessions', async () => {
    const { page } = await contextFor('student', STUDENT_EMAIL);
    keepScreenshotOnFailure(page, 'journey-student');
    await page.goto('/book');
    await waitForPage(page, 'Book a session');
    await page.getByRole('combobox', { name: 'Area', exact: true }).selectOption({ label: AREA });
    await page.getByRole('radio', { name: '30 minutes', exact: true }).check();
    await page.getByRole('radio', { name: 'Assign me a mentor', exact: true }).check();
    await waitForPage(page, 'Book a session');

    const slot = await firstOpenSlot(page);
    const slotName = (await slot.getAttribute('aria-label')) ?? (await slot.textContent()) ?? '';
    const [, shownStart = '', zone] = openSlotName.exec(slotName.trim()) ?? [];
    expect(zone, `the slot "${slotName}" names its zone`).toBe('Asia/Kolkata');
    await slot.click();

    const dialog = page.getByRole('dialog', { name: 'Confirm booking' });
    await expect.poll(() => dialog.textContent(), { timeout: 10_000 }).toContain(AREA);
    await dialog.getByRole('button', { name: 'Confirm booking', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Booked' }).waitFor();

    const bookings = await api<BookingAnswer[]>('/api/bookings?upcoming=true', await tokenOf(page));
    const mine = bookings.filter((booking) => booking.area_of_expertise === AREA);
    expect(mine, 'the student has exactly the one session just booked').toHaveLength(1);
    const [booking] = mine as [BookingAnswer];
    const mentor = await api<{ name: string }>(`/api/mentors/${booking.mentor_id}`);
    booked = { id: booking.id, shownStart, startTime: booking.start_time, mentorName: mentor.name };

    await page.getByRole('link', { name: 'See my sessions', exact: true }).click();
    await waitForPage(page, 'My sessions');
    const upcoming = await itemsUnderHeading(page, 'Upcoming');
    const session = upcoming.find((text) => text.includes(shownStart));
    expect(
      session,
      `an upcoming session at ${shownStart}; upcoming shows: ${JSON.stringify(upcoming)}`,
    ).toBeDefined();
    expect(session).toContain(mentor.name);
    expect(session).toContain(AREA);
    expect(session).toContain('Asia/Kolkata');
    await page.close();
  });

  test('the student adds the session to their calendar and gets a calendar feed link', async () => {
    const session = requireBooking();
    const { page } = await contextFor('student', STUDENT_EMAIL);
    keepScreenshotOnFailure(page, 'journey-student-calendar');
    await page.goto('/sessions');
    await waitForPage(page, 'My sessions');
    const item = page.getByRole('listitem').filter({ hasText: session.shownStart });
    const downloading = page.waitForEvent('download');
    await item.getByRole('link', { name: 'Add to calendar', exact: true }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe(`session-${session.id}.ics`);
    const ics = await readFile(await download.path(), 'utf8');
    expect(ics).toContain('BEGIN:VEVENT');
    expect(ics).toContain(session.mentorName);

    await page.getByRole('button', { name: 'Get my calendar feed link', exact: true }).click();
    const feed = page.getByLabel('Calendar feed URL', { exact: true });
    await expect
      .poll(() => feed.inputValue(), { timeout: 10_000 })
      .toMatch(/^https?:\/\/.+\/api\/calendar-feeds\//);
    // The link works without signing in: calendar apps fetch it on their own.
    const answer = await fetch(await feed.inputValue());
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain('BEGIN:VCALENDAR');
    await page.close();
  });

  test('the mentor sees it on their calendar, named by the student and time', async () => {
    const session = requireBooking();
    const { page } = await contextFor('mentor', mentorEmailOf(session.mentorName));
    keepScreenshotOnFailure(page, 'journey-mentor-calendar');
    await page.goto('/mentor/calendar');
    await waitForPage(page, 'My calendar');
    const time = session.shownStart.split(', ')[1] ?? session.shownStart;
    await clickNextWeek(page, weeksAhead(session.startTime));
    // The session, named by its student and time, whether the app shows it as an item, link or button.
    const named = { name: new RegExp(`${STUDENT_NAME}.*${time}|${time}.*${STUDENT_NAME}`) };
    const entry = page
      .getByRole('listitem', named)
      .or(page.getByRole('link', named))
      .or(page.getByRole('button', named));
    await entry.first().waitFor();
    await page.close();
  });

  test('the mentor adds a Saturday window to their availability, and it is kept', async () => {
    const session = requireBooking();
    const { page } = await contextFor('mentor', mentorEmailOf(session.mentorName));
    keepScreenshotOnFailure(page, 'journey-mentor-availability');
    await page.goto('/mentor/calendar');
    await waitForPage(page, 'My calendar');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Availability' }).click();
    await waitForPage(page, 'Weekly availability');
    const saturday = page.getByRole('group', { name: 'Saturday', exact: true });
    const starts = saturday.getByLabel('Start', { exact: true });
    const before = await starts.count();
    await saturday.getByRole('button', { name: 'Add window', exact: true }).click();
    await expect.poll(() => starts.count(), { timeout: 10_000 }).toBe(before + 1);
    // Early morning: no demo mentor works then, so the new window overlaps none of theirs.
    await starts.nth(before).fill('07:00');
    await saturday.getByLabel('End', { exact: true }).nth(before).fill('08:30');
    await page.getByRole('button', { name: 'Save availability', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Availability saved' }).waitFor();

    await page.reload();
    await waitForPage(page, 'Weekly availability');
    const kept = await saturday
      .getByLabel('Start', { exact: true })
      .evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).value));
    expect(kept).toContain('07:00');
    const ends = await saturday
      .getByLabel('End', { exact: true })
      .evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).value));
    expect(ends).toContain('08:30');
    await page.close();
  });

  test('an admin sees it on the dashboard and in Bookings', async () => {
    const session = requireBooking();
    const { page } = await contextFor('admin', ADMIN_EMAIL);
    keepScreenshotOnFailure(page, 'journey-admin');
    await page.goto('/admin');
    await waitForPage(page, 'Dashboard');
    const sessionsThisWeek = async () => {
      const figure = page.getByRole('figure', { name: 'Sessions this week', exact: true });
      const text = (await figure.textContent()) ?? '';
      return Number(/\d+/.exec(text.replace('Sessions this week', ''))?.[0] ?? Number.NaN);
    };
    await clickNextWeek(page, weeksAhead(session.startTime));
    // The figures of the week asked for replace those shown before them when they arrive.
    await expect.poll(sessionsThisWeek, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Bookings' }).click();
    await waitForPage(page, 'Bookings');
    const row = page
      .getByRole('row')
      .filter({ hasText: STUDENT_NAME })
      .filter({ hasText: session.mentorName });
    await row.first().waitFor();
    expect(await row.first().textContent()).toContain(AREA);
    await page.close();
  });

  test('a student downloads their data, deletes their account, and cannot sign in again', async () => {
    const student = await registerStudent('Dara Leaving');
    const context = await freshContext(browser, baseUrl);
    const page = await context.newPage();
    keepScreenshotOnFailure(page, 'journey-student-erasure');
    try {
      await signIn(page, student.email);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My data' }).click();
      await waitForPage(page, 'My data');
      const downloading = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Download my data', exact: true }).click();
      const download = await downloading;
      expect(download.suggestedFilename()).toMatch(/^my-data-\d{4}-\d{2}-\d{2}\.json$/);
      const data = JSON.parse(await readFile(await download.path(), 'utf8'));
      expect(data.student).toMatchObject({ id: student.id, email: student.email, erased_at: null });

      await page.getByRole('button', { name: 'Delete my account', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Delete your account?' });
      await dialog.getByLabel('Type DELETE to confirm', { exact: true }).fill('DELETE');
      await dialog.getByRole('button', { name: 'Delete my account', exact: true }).click();
      await page
        .getByRole('status')
        .filter({ hasText: 'Your account and personal data were erased' })
        .waitFor();
      expect(new URL(page.url()).pathname).toBe('/login');

      await page.getByLabel('Email', { exact: true }).fill(student.email);
      await page.getByLabel('Password', { exact: true }).fill(DEMO_PASSWORD);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page
        .getByRole('alert')
        .filter({ hasText: 'That email and password do not match an account.' })
        .waitFor();
    } finally {
      await context.close();
    }
  });

  test('an admin erases a student and finds the change at the top of the audit log', async () => {
    const student = await registerStudent('Esha Erased');
    const { page } = await contextFor('admin', ADMIN_EMAIL);
    keepScreenshotOnFailure(page, 'journey-admin-audit');
    await page.goto('/admin/students');
    await waitForPage(page, 'Students');
    await page.getByLabel('Search', { exact: true }).fill(student.email);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('button', { name: 'Erase Esha Erased', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Erase Esha Erased’s personal data?' });
    await dialog.getByRole('button', { name: 'Erase personal data', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Esha Erased’s personal data was erased' }).waitFor();

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    await waitForPage(page, 'Audit log');
    const newest = page.getByRole('table').getByRole('row').nth(1);
    await expect.poll(() => newest.textContent(), { timeout: 10_000 }).toContain(`Student #${student.id}`);
    const text = (await newest.textContent()) ?? '';
    expect(text).toContain('students.erase');
    expect(text).toMatch(/Admin \(account #\d+\)/);
    expect(text).toContain('(Asia/Kolkata)');
    await page.close();
  });
});

/** The signed-in person's controls every page shares. */
const signOut: Control = { role: 'button', name: 'Sign out' };

interface PageCheck extends Omit<PageUnderTest, 'path'> {
  role: Role | 'anonymous';
  /** Computed when the check runs: the booking page's address needs the student's booking */
  path: () => string;
}

const pages: PageCheck[] = [
  {
    role: 'anonymous',
    name: 'login',
    path: () => '/login',
    heading: 'Sign in',
    controls: [
      { role: 'field', name: 'Email' },
      { role: 'field', name: 'Password' },
      { role: 'button', name: 'Sign in' },
    ],
  },
  {
    role: 'anonymous',
    name: 'register',
    path: () => '/register',
    heading: 'Create a student account',
    controls: [
      { role: 'field', name: 'Name' },
      { role: 'field', name: 'Email' },
      { role: 'field', name: 'Password' },
      { role: 'button', name: 'Create account' },
    ],
  },
  {
    role: 'student',
    name: 'book',
    path: () => '/book',
    heading: 'Book a session',
    controls: [signOut, { role: 'combobox', name: 'Area' }, { role: 'button', name: 'Next week' }],
  },
  {
    role: 'student',
    name: 'my-sessions',
    path: () => '/sessions',
    heading: 'My sessions',
    controls: [
      signOut,
      { role: 'button', name: 'Cancel session' },
      { role: 'button', name: 'Get my calendar feed link' },
    ],
  },
  {
    role: 'student',
    name: 'booking',
    path: () => `/bookings/${requireBooking().id}?payment=done`,
    heading: 'Session details',
    controls: [signOut, { role: 'link', name: 'Add to calendar' }],
  },
  {
    role: 'student',
    name: 'my-data',
    path: () => '/my-data',
    heading: 'My data',
    controls: [
      signOut,
      { role: 'button', name: 'Download my data' },
      { role: 'button', name: 'Delete my account' },
    ],
  },
  {
    role: 'mentor',
    name: 'mentor-calendar',
    path: () => '/mentor/calendar',
    heading: 'My calendar',
    controls: [signOut, { role: 'button', name: 'Next week' }],
  },
  {
    role: 'mentor',
    name: 'mentor-availability',
    path: () => '/mentor/availability',
    heading: 'Weekly availability',
    controls: [signOut, { role: 'button', name: 'Save availability' }],
  },
  {
    role: 'mentor',
    name: 'mentor-profile',
    path: () => '/mentor/profile',
    heading: 'Profile',
    controls: [signOut, { role: 'field', name: 'Headline' }, { role: 'button', name: 'Save profile' }],
  },
  {
    role: 'admin',
    name: 'admin-dashboard',
    path: () => '/admin',
    heading: 'Dashboard',
    controls: [signOut, { role: 'button', name: 'Next week' }],
  },
  {
    role: 'admin',
    name: 'admin-bookings',
    path: () => '/admin/bookings',
    heading: 'Bookings',
    controls: [signOut, { role: 'field', name: 'Status' }, { role: 'field', name: 'From' }],
  },
  {
    role: 'admin',
    name: 'admin-mentors',
    path: () => '/admin/mentors',
    heading: 'Mentors',
    controls: [signOut, { role: 'button', name: 'Add mentor' }],
  },
  {
    role: 'admin',
    name: 'admin-students',
    path: () => '/admin/students',
    heading: 'Students',
    controls: [signOut, { role: 'field', name: 'Search' }],
  },
  {
    role: 'admin',
    name: 'admin-payments',
    path: () => '/admin/payments',
    heading: 'Payments',
    controls: [signOut, { role: 'field', name: 'Status' }],
  },
  {
    role: 'admin',
    name: 'admin-notifications',
    path: () => '/admin/notifications',
    heading: 'Notifications',
    controls: [signOut, { role: 'field', name: 'URL' }, { role: 'button', name: 'Add endpoint' }],
  },
  {
    role: 'admin',
    name: 'admin-audit',
    path: () => '/admin/audit',
    heading: 'Audit log',
    controls: [signOut, { role: 'field', name: 'Operation' }, { role: 'field', name: 'Target type' }],
  },
];

const emailOf: Record<Role, () => string> = {
  student: () => STUDENT_EMAIL,
  // The mentor of the booked session; without one (the student's journey failed), still check the
  // mentor's pages as a demo mentor.
  mentor: () => mentorEmailOf(booked?.mentorName ?? 'Rohan Mehta'),
  admin: () => ADMIN_EMAIL,
};

describe.sequential('every page: axe, 390 px, keyboard, screenshots', () => {
  test.each(pages)('$name', async (check) => {
    const target: PageUnderTest = { ...check, path: check.path() };
    let page: Page;
    let anonymous: BrowserContext | undefined;
    if (check.role === 'anonymous') {
      anonymous = await freshContext(browser, baseUrl);
      page = await anonymous.newPage();
    } else {
      page = (await contextFor(check.role, emailOf[check.role]())).page;
    }
    try {
      const report = await checkPage(page, target);
      reports.push(report);
      expect.soft(report.axe, `${target.name}: axe found serious or critical violations`).toEqual([]);
      expect.soft(report.sidewaysScroll, `${target.name}: sideways scrolling at 390 px`).toBeNull();
      expect.soft(report.unreachable, `${target.name}: controls Tab never reached`).toEqual([]);
      expect.soft(report.focusInvisible, `${target.name}: focus not visible on`).toEqual([]);
    } finally {
      await page.close();
      await anonymous?.close();
    }
  });
});

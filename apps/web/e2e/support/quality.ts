import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ElementHandle, Page } from 'playwright-core';
import { desktop, phone } from './browser.js';
import { repositoryRoot } from './server.js';

const require = createRequire(import.meta.url);
// Evaluated through the DevTools protocol rather than added as a <script>: the server's
// Content-Security-Policy (script-src 'self') rightly refuses inline scripts, and the app is checked
// with its real policy in force.
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const resultsDirectory = join(repositoryRoot, 'apps/web/test-results');
export const screenshotDirectory = join(resultsDirectory, 'screenshots');

type ControlRole = 'button' | 'link' | 'textbox' | 'combobox' | 'searchbox' | 'radio' | 'checkbox' | 'tab';

/**
 * A control a keyboard user must be able to reach with Tab, by its role and name, or (`field`) by its
 * label: a password or time input has no role of its own.
 */
export interface Control {
  role: ControlRole | 'field';
  name: string;
}

function locate(page: Page, control: Control) {
  return control.role === 'field'
    ? page.getByLabel(control.name, { exact: true })
    : page.getByRole(control.role, { name: control.name, exact: true });
}

export interface PageUnderTest {
  /** Names the screenshots: `<name>-390.png`, `<name>-1280.png` */
  name: string;
  path: string;
  heading: string;
  controls: Control[];
}

export interface AxeProblem {
  rule: string;
  impact: string;
  help: string;
  /** CSS selectors of the offending elements (the first few) */
  targets: string[];
  width: number;
}

export interface QualityReport {
  page: string;
  path: string;
  axe: AxeProblem[];
  /** At 390 px: the document is wider than the window, with the elements that stick out */
  sidewaysScroll: { scrollWidth: number; clientWidth: number; overflowing: string[] } | null;
  /** Main controls Tab never reached */
  unreachable: string[];
  /** Focused elements with neither an outline nor a ring */
  focusInvisible: string[];
  screenshots: string[];
}

interface AxeResults {
  violations: {
    id: string;
    impact?: string | null;
    help: string;
    nodes: { target: unknown[] }[];
  }[];
}

/** Waits until the page's heading is shown and nothing on it is still loading. */
export async function waitForPage(page: Page, heading: string): Promise<void> {
  await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor();
  await page.waitForFunction(() => document.querySelector('[aria-busy="true"]') === null);
}

async function axeProblems(page: Page, width: number): Promise<AxeProblem[]> {
  // A reload forgets it: added again on each page load.
  const injected = await page.evaluate(() => 'axe' in window);
  if (!injected) await page.evaluate(axeSource);
  const results = await page.evaluate(
    () =>
      (window as unknown as { axe: { run(options: object): Promise<unknown> } }).axe.run({
        resultTypes: ['violations'],
      }) as Promise<AxeResults>,
  );
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({
      rule: violation.id,
      impact: violation.impact ?? 'unknown',
      help: violation.help,
      targets: violation.nodes.slice(0, 5).map((node) => node.target.join(' ')),
      width,
    }));
}

async function sidewaysScroll(page: Page): Promise<QualityReport['sidewaysScroll']> {
  return page.evaluate(() => {
    const root = document.documentElement;
    const limit = root.clientWidth + 0.5;
    // Whether a box that sticks out is scrolled inside a container (a table in its .table-wrap) rather
    // than widening the page. An absolutely positioned box escapes a scrolling container that is
    // not its containing block, or an ancestor of it: such a box widens the page.
    const clipped = (element: Element) => {
      const own = getComputedStyle(element).position;
      if (own === 'fixed') return true;
      let containingBlockFound = own !== 'absolute';
      for (let above = element.parentElement; above && above !== root; above = above.parentElement) {
        const style = getComputedStyle(above);
        if (style.position !== 'static') containingBlockFound = true;
        if (style.overflowX !== 'visible' && containingBlockFound) return true;
      }
      return false;
    };
    const widens = (element: Element) => element.getBoundingClientRect().right > limit && !clipped(element);
    if (root.scrollWidth <= root.clientWidth) return null;
    const overflowing: string[] = [];
    for (const element of Array.from(document.body.querySelectorAll('*'))) {
      if (!widens(element)) continue;
      // The outermost box that widens the page says where to look; its children would only repeat it.
      const parent = element.parentElement;
      if (parent && parent !== document.body && widens(parent)) continue;
      const classes =
        typeof element.className === 'string' && element.className.trim()
          ? `.${element.className.trim().split(/\s+/).join('.')}`
          : '';
      const text = (element.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 30);
      const right = Math.round(element.getBoundingClientRect().right);
      overflowing.push(`${element.tagName.toLowerCase()}${classes} "${text}" (right edge ${right} px)`);
      if (overflowing.length >= 5) break;
    }
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, overflowing };
  });
}

interface Focus {
  /** The focused element as a person would describe it: `button "Save profile"` */
  description: string;
  visible: boolean;
  /** For each group of candidate elements, whether one of them has the focus */
  within: boolean[];
}

/** Where the focus is, whether it can be seen, and which of the given controls has it. */
async function focusNow(page: Page, candidates: ElementHandle[][]): Promise<Focus | null> {
  return page.evaluate((groups) => {
    const element = document.activeElement;
    if (!element || element === document.body) return null;
    // Focus inside a control's own browser-drawn parts (the clock button of a time input) leaves
    // the control itself unmatched by :focus; the browser draws that ring, so there is nothing to check.
    if (!element.matches(':focus')) return null;
    const style = getComputedStyle(element);
    const transparent = (color: string) => color === 'transparent' || /rgba\(.*,\s*0\)$/.test(color);
    const outline =
      style.outlineStyle !== 'none' &&
      Number.parseFloat(style.outlineWidth) > 0 &&
      !transparent(style.outlineColor);
    const ring = style.boxShadow !== 'none' && style.boxShadow !== '';
    const label =
      element.getAttribute('aria-label') ??
      (element as HTMLInputElement).labels?.[0]?.textContent ??
      element.textContent ??
      '';
    const role = element.getAttribute('role') ?? element.tagName.toLowerCase();
    return {
      description: `${role} "${label.trim().replace(/\s+/g, ' ').slice(0, 60)}"`,
      visible: outline || ring,
      within: groups.map((group) => group.some((candidate) => candidate === element)),
    };
  }, candidates);
}

/**
 * Tabs from the top of a freshly loaded page until every main control has had focus (or the page
 * has been gone through), noting each control that never got it and every focus that could not be seen.
 */
async function keyboardProblems(
  page: Page,
  controls: Control[],
  maxTabs = 100,
): Promise<Pick<QualityReport, 'unreachable' | 'focusInvisible'>> {
  // Found once: the page has finished loading, so its controls stay the same elements while tabbing.
  const candidates = await Promise.all(controls.map((control) => locate(page, control).elementHandles()));
  const reached = controls.map(() => false);
  const focusInvisible = new Set<string>();
  const noteFocus = async () => {
    const focus = await focusNow(page, candidates);
    if (!focus) return;
    if (!focus.visible) focusInvisible.add(focus.description);
    focus.within.forEach((within, index) => {
      if (within) reached[index] = true;
    });
  };
  // A field the page focuses by itself counts as reached.
  await noteFocus();
  for (let press = 0; press < maxTabs && reached.includes(false); press += 1) {
    await page.keyboard.press('Tab');
    await noteFocus();
  }
  await Promise.all(candidates.flat().map((handle) => handle.dispose()));
  return {
    unreachable: controls
      .filter((_, index) => !reached[index])
      .map((control) => `${control.role} "${control.name}"`),
    focusInvisible: [...focusInvisible],
  };
}

/**
 * Everything issue #15 item 5 asks of one page: axe at both widths, no sideways scrolling at 390 px,
 * the main controls reached by Tab with a visible focus, and a screenshot at each width.
 */
export async function checkPage(page: Page, target: PageUnderTest): Promise<QualityReport> {
  mkdirSync(screenshotDirectory, { recursive: true });
  const report: QualityReport = {
    page: target.name,
    path: target.path,
    axe: [],
    sidewaysScroll: null,
    unreachable: [],
    focusInvisible: [],
    screenshots: [],
  };

  await page.setViewportSize(desktop);
  await page.goto(target.path);
  await waitForPage(page, target.heading);
  const desktopShot = join(screenshotDirectory, `${target.name}-${desktop.width}.png`);
  await page.screenshot({ path: desktopShot, fullPage: true });
  report.axe.push(...(await axeProblems(page, desktop.width)));
  Object.assign(report, await keyboardProblems(page, target.controls));

  // Opened afresh at phone size, as a phone would: layouts chosen by width when the page starts are
  // the phone's, and the focus the keyboard check left behind is gone.
  await page.setViewportSize(phone);
  await page.reload();
  await waitForPage(page, target.heading);
  report.sidewaysScroll = await sidewaysScroll(page);
  const phoneShot = join(screenshotDirectory, `${target.name}-${phone.width}.png`);
  await page.screenshot({ path: phoneShot, fullPage: true });
  const seen = new Set(report.axe.map((problem) => `${problem.rule} ${problem.targets.join()}`));
  for (const problem of await axeProblems(page, phone.width)) {
    if (!seen.has(`${problem.rule} ${problem.targets.join()}`)) report.axe.push(problem);
  }

  report.screenshots = [desktopShot, phoneShot];
  return report;
}

/** All pages' findings in one file the lead can read: test-results/e2e-quality.json */
export function writeQualityReports(reports: QualityReport[]): string {
  mkdirSync(resultsDirectory, { recursive: true });
  const file = join(resultsDirectory, 'e2e-quality.json');
  writeFileSync(file, `${JSON.stringify(reports, null, 2)}\n`);
  return file;
}

/** One line per problem, for the run's log: the lead reads these first. */
export function summariseQualityReports(reports: QualityReport[]): string {
  const lines: string[] = [];
  for (const report of reports) {
    for (const problem of report.axe) {
      lines.push(
        `${report.page} (${problem.width} px): axe ${problem.impact} ${problem.rule}: ${problem.help} — ${problem.targets.join(', ')}`,
      );
    }
    if (report.sidewaysScroll) {
      const { scrollWidth, clientWidth, overflowing } = report.sidewaysScroll;
      lines.push(
        `${report.page}: ${scrollWidth} px wide at ${clientWidth} px; sticking out: ${overflowing.join(', ')}`,
      );
    }
    for (const control of report.unreachable) lines.push(`${report.page}: Tab never reaches ${control}`);
    for (const element of report.focusInvisible) lines.push(`${report.page}: no visible focus on ${element}`);
  }
  return lines.length > 0 ? lines.join('\n') : 'No quality problems found.';
}

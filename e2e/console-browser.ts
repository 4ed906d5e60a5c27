import type { Browser as Chromium, BrowserContext, Page } from 'playwright-core';
import { assertAccessible, screenshot } from '@jit/testing';
import type { System } from './harness';

/** What the console's browser tests share: a page per admin, the IdP's login form, axe and a photo. */

/** A browser context at the size the screens are checked at; each wait fails within seconds, naming what it waited for. */
export async function desktopContext(chromium: Chromium): Promise<BrowserContext> {
  const context = await chromium.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(10_000);
  return context;
}

/** The IdP's login form, as a person fills it in. */
export async function idpLogin(system: System, page: Page, username: string, password: string): Promise<void> {
  await page.waitForURL(`${system.idpUrl}/login`);
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** The console's sign-in screen, the IdP's login form, and back to SSO Applications. */
export async function signInToConsole(system: System, page: Page, username: string, password: string): Promise<void> {
  await page.goto(system.consoleUrl);
  await page.getByRole('link', { name: 'Sign in' }).click();
  await idpLogin(system, page, username, password);
  await page.waitForURL(`${system.consoleUrl}/applications`);
  await heading(page, 'SSO Applications').waitFor();
}

/** Axe, then a screenshot: every screen and dialog the tests open gets both. */
export async function look(page: Page, name: string): Promise<void> {
  await settled(page);
  await assertAccessible(page, name);
  await wholeScreen(page, () => screenshot(page, name));
}

/**
 * Waits for the transitions under way (a field's error fading in, a dialog opening): axe measures
 * colours as they are drawn, and half-faded text fails the contrast check it passes once shown.
 * Endless animations (spinners) are not waited for.
 */
async function settled(page: Page): Promise<void> {
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((animation) => animation.effect?.getComputedTiming().endTime !== Infinity)
        .map((animation) => animation.finished.catch(() => undefined)),
    ),
  );
}

/**
 * PatternFly's page scrolls inside its main container, not the document, so a full-page screenshot
 * stops at the window: the window is made as tall as the screen for the photo, then put back.
 * (An open dialog's body scrolls on its own and is photographed as the window shows it.)
 */
async function wholeScreen(page: Page, photograph: () => Promise<unknown>): Promise<void> {
  const viewport = page.viewportSize();
  const dialogOpen = (await page.getByRole('dialog').count()) > 0;
  // The most the page has hidden in any scrolling box (PatternFly's main container, whichever it is).
  const height = await page.evaluate(() => {
    let hidden = 0;
    for (const element of Array.from(document.querySelectorAll('body *'))) {
      const overflow = getComputedStyle(element).overflowY;
      if (overflow === 'auto' || overflow === 'scroll') hidden = Math.max(hidden, element.scrollHeight - element.clientHeight);
    }
    return window.innerHeight + hidden;
  });
  if (!viewport || dialogOpen || height <= viewport.height) {
    await photograph();
    return;
  }
  await page.setViewportSize({ width: viewport.width, height: Math.min(height, 6000) });
  try {
    await photograph();
  } finally {
    await page.setViewportSize(viewport);
  }
}

export const heading = (page: Page, name: string | RegExp) => page.getByRole('heading', { level: 1, name });
export const dialog = (page: Page, name: string | RegExp) => page.getByRole('dialog', { name });
export const navLink = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true });
/** A PatternFly table by its aria-label (PatternFly gives tables the grid role, so getByRole('table') misses them). */
export const table = (page: Page, name: string) => page.locator(`table[aria-label="${name}"]`);
/** A table's row that holds this text. */
export const row = (page: Page, tableName: string, text: string) => table(page, tableName).locator('tbody tr').filter({ hasText: text });

/** The tables' columns that hold a date or a moment. */
const DATE_COLUMNS = ['Created', 'Signs from', 'Valid until', 'When', 'Enrolled', 'Last used'];

/**
 * The date cells of the page's tables, each with the number of lines its text takes: the boxes of
 * its text, one per line it is laid out on (a box beside the previous one, on the same line, is
 * not counted again). A date broken inside its numbers takes two or more.
 */
export async function dateCellLines(page: Page): Promise<Array<{ text: string; lines: number }>> {
  return page.evaluate((columns) => {
    const cells = document.querySelectorAll<HTMLElement>(columns.map((c) => `td[data-label="${c}"]`).join(','));
    return Array.from(cells).map((cell) => {
      const boxes: DOMRect[] = [];
      const texts = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = texts.nextNode(); node; node = texts.nextNode()) {
        const range = document.createRange();
        range.selectNodeContents(node);
        boxes.push(...Array.from(range.getClientRects()).filter((r) => r.width > 0 && r.height > 0));
      }
      let lines = 0;
      let bottom = -Infinity;
      for (const box of boxes.sort((a, b) => a.top - b.top)) {
        // Below the line so far by more than half a line: a new line.
        if (box.top > bottom - box.height / 2) lines += 1;
        bottom = Math.max(bottom, box.bottom);
      }
      return { text: (cell.textContent ?? '').trim(), lines };
    });
  }, DATE_COLUMNS);
}

/**
 * The labels in the page's tables whose text PatternFly cut short with an ellipsis ("JIT ..." for
 * JIT Provisioning): a label is as wide as its text, so a cut one sits in a column too narrow.
 */
export async function cutTableLabels(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('table .pf-v6-c-label__text'))
      .filter((text) => text.scrollWidth > text.clientWidth)
      .map((text) => (text.textContent ?? '').trim()),
  );
}

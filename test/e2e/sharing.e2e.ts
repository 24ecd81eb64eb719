// Session sharing in the browser, against a real `porthole up` (server, proxy, local agent) and a
// real porthole/desktop session: the owner (in a group with allow_sharing) shares from the session
// view; a second user in another browser context opens the link, signs in, watches the desktop as
// viewer and chats with the owner both ways; the owner sees them, removes them, and the viewer is
// told so; a viewer's clicks do nothing, a collaborator's (full control granted) reach the desktop.
// Screenshots land in test-results/screenshots/sharing-*.png.
import { mkdir } from 'node:fs/promises';
import type { APIRequestContext, Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectNoCspViolations, gotoRetrying, launchChromium, newContext } from './support/browser.js';
import { adminUsername, type PortholeUp, startPorthole } from './support/porthole-up.js';

const shots = 'test-results/screenshots';
const owner = { username: 'olivia@example.com', password: 'olivia-e2e-password' };
const guest = { username: 'victor@example.com', password: 'victor-e2e-password' };

let porthole: PortholeUp;
let browser: Browser;
let adminContext: BrowserContext;
let admin: APIRequestContext;
let sharersGroupId = '';

async function goto(page: Page, path: string): Promise<void> {
  await gotoRetrying(page, `${porthole.url}${path}`);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${shots}/sharing-${name}.png` });
}

async function fillSignIn(page: Page, who: { username: string; password: string }): Promise<void> {
  await page.getByLabel('Username').fill(who.username);
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function adminCall<T>(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  data?: unknown,
): Promise<T> {
  const res = await admin.fetch(`${porthole.url}${path}`, { method, ...(data ? { data } : {}) });
  if (!res.ok()) throw new Error(`${method} ${path}: ${res.status()} ${await res.text()}`);
  return (res.status() === 204 ? undefined : await res.json()) as T;
}

/** Share of the most common colour and how many colours the desktop canvas has (sampled). */
function canvasStats(page: Page): Promise<{ colours: number; dominant: number } | null> {
  return page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="vnc-screen"] canvas');
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx || canvas.width < 2 || canvas.height < 2) return null;
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const counts = new Map<number, number>();
    let samples = 0;
    for (let i = 0; i < data.length; i += 4 * 16) {
      const key = ((data[i] ?? 0) << 16) | ((data[i + 1] ?? 0) << 8) | (data[i + 2] ?? 0);
      counts.set(key, (counts.get(key) ?? 0) + 1);
      samples++;
    }
    return { colours: counts.size, dominant: Math.max(...counts.values()) / samples };
  });
}

/**
 * Every 8th pixel of the canvas's central 60 % (away from the panel and its clock), as RGB
 * numbers: what two moments are compared by.
 */
function centralSample(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="vnc-screen"] canvas');
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return [];
    const x = Math.floor(canvas.width * 0.2);
    const y = Math.floor(canvas.height * 0.2);
    const { data } = ctx.getImageData(x, y, Math.floor(canvas.width * 0.6), Math.floor(canvas.height * 0.6));
    const out: number[] = [];
    for (let i = 0; i < data.length; i += 4 * 8)
      out.push(((data[i] ?? 0) << 16) | ((data[i + 1] ?? 0) << 8) | (data[i + 2] ?? 0));
    return out;
  });
}

/**
 * The share of sampled pixels that differ by more than lossy re-encoding does (a region sent again
 * as JPEG comes back a few levels off); 1 when the samples cannot be compared.
 */
function changed(a: number[], b: number[]): number {
  if (a.length === 0 || a.length !== b.length) return 1;
  const far = (p: number, q: number, shift: number) =>
    Math.abs(((p >> shift) & 255) - ((q >> shift) & 255)) > 24;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    const p = a[i] ?? 0;
    const q = b[i] ?? 0;
    if (far(p, q, 16) || far(p, q, 8) || far(p, q, 0)) n++;
  }
  return n / a.length;
}

/** Clicks a page's desktop at a fraction of its size (a right-click opens JWM's root menu). */
async function clickDesktop(page: Page, x: number, y: number, button: 'left' | 'right'): Promise<void> {
  const box = await page.getByTestId('vnc-screen').locator('canvas').boundingBox();
  if (!box) throw new Error('no desktop canvas');
  await page.mouse.click(box.x + box.width * x, box.y + box.height * y, { button });
}

/** Waits until the canvas shows a drawn desktop, not a blank rectangle. */
async function waitForDesktop(page: Page): Promise<void> {
  const deadline = Date.now() + 90_000;
  let last: Awaited<ReturnType<typeof canvasStats>> = null;
  while (Date.now() < deadline) {
    last = await canvasStats(page);
    if (last && last.colours >= 8 && last.dominant < 0.98) return;
    await page.waitForTimeout(1000);
  }
  throw new Error(`the desktop never appeared: ${JSON.stringify(last)}`);
}

/** The chat texts a page shows, in order. */
const chatTexts = (page: Page) => page.getByTestId('chat-text').allTextContents();

async function waitForChatText(page: Page, text: string): Promise<void> {
  await page.getByTestId('chat-text').filter({ hasText: text }).first().waitFor({ timeout: 20_000 });
}

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  porthole = await startPorthole({ env: { PORTHOLE_BUILD_IMAGES: 'false' } });
  browser = await launchChromium();
  adminContext = await newContext(browser);
  admin = adminContext.request;
  await adminCall('POST', '/api/auth/login', { username: adminUsername, password: porthole.adminPassword });
  const group = await adminCall<{ id: string }>('POST', '/api/admin/groups', {
    name: 'Sharers',
    priority: 10,
    settings: { allow_sharing: true },
  });
  sharersGroupId = group.id;
  await adminCall('POST', '/api/admin/users', { ...owner, groupIds: [group.id] });
  await adminCall('POST', '/api/admin/users', { ...guest, groupIds: [] });
});

// Every page runs under the server's Content-Security-Policy: a violation fails the test.
afterEach(() => expectNoCspViolations());

afterAll(async () => {
  // Whatever a failed step left running: its containers would outlive the throwaway data dir.
  if (admin && porthole) {
    const sessions = await adminCall<{ items: Array<{ id: string }> }>('GET', '/api/admin/sessions').catch(
      () => ({ items: [] }),
    );
    for (const s of sessions.items)
      await adminCall('DELETE', `/api/admin/sessions/${s.id}`).catch(() => undefined);
    if (sessions.items.length > 0) await new Promise((r) => setTimeout(r, 5_000));
  }
  await browser?.close();
  await porthole?.stop();
});

describe('session sharing in the browser', () => {
  let ownerPage: Page;
  let guestPage: Page;
  let link = '';

  const openSharePanel = async () => {
    if (!(await ownerPage.getByTestId('share-panel').isVisible()))
      await ownerPage.getByTestId('share-button').click();
  };
  /** Turns sharing on from the owner's panel; the link it shows. */
  const shareNewLink = async (): Promise<string> => {
    await openSharePanel();
    await ownerPage.getByTestId('share-enable').click();
    const input = ownerPage.getByTestId('share-link');
    await input.waitFor();
    return input.inputValue();
  };
  /** Stop sharing, confirmed in place in the popover, which then offers sharing again. */
  const stopSharing = async () => {
    await openSharePanel();
    await ownerPage.getByTestId('share-disable').click();
    await ownerPage.getByTestId('share-disable-yes').click();
    await ownerPage.getByTestId('share-enable').waitFor({ timeout: 15_000 });
  };
  /** Waits for the guest's session page to show `role` and a live connection. */
  const joinedAs = async (role: 'viewer' | 'collaborator') => {
    await guestPage.waitForURL(/\/sessions\/[0-9a-f-]{36}$/, { timeout: 20_000 });
    await guestPage.getByTestId('role-badge').filter({ hasText: role }).waitFor();
    await guestPage
      .getByTestId('connection-state')
      .filter({ hasText: 'Connected' })
      .waitFor({ timeout: 60_000 });
  };

  it('the owner launches a desktop and shares it from the session view', async () => {
    const ctx = await newContext(browser);
    ownerPage = await ctx.newPage();
    await goto(ownerPage, '/login');
    await fillSignIn(ownerPage, owner);
    await ownerPage.waitForURL(`${porthole.url}/`, { timeout: 15_000 });
    await ownerPage.getByRole('button', { name: 'Launch Desktop', exact: true }).click();
    await ownerPage.waitForURL(/\/sessions\/[0-9a-f-]{36}$/, { timeout: 150_000 });
    await ownerPage
      .getByTestId('connection-state')
      .filter({ hasText: 'Connected' })
      .waitFor({ timeout: 60_000 });
    await waitForDesktop(ownerPage);

    link = await shareNewLink();
    expect(link).toMatch(new RegExp(`^${porthole.url}/join/[0-9a-f]{32}$`));
    expect(await ownerPage.getByTestId('role-badge').textContent()).toBe('owner');
    await shot(ownerPage, 'owner-shared');
  });

  it('a second user opens the link, signs in and watches the desktop as viewer, with the chat', async () => {
    const ctx = await newContext(browser);
    guestPage = await ctx.newPage();
    await goto(guestPage, new URL(link).pathname);
    // Signed out: the link goes through sign-in and comes back.
    await guestPage.waitForURL(/\/login\?next=%2Fjoin%2F[0-9a-f]{32}$/);
    await fillSignIn(guestPage, guest);
    await joinedAs('viewer');
    await waitForDesktop(guestPage);
    await guestPage.getByTestId('chat-panel').waitFor();
    // The join is in the history the late joiner was sent; both are present.
    await guestPage
      .getByTestId('chat-notice')
      .filter({ hasText: `${guest.username} joined as viewer` })
      .waitFor();
    await guestPage
      .getByTestId('chat-person')
      .filter({ hasText: owner.username })
      .waitFor({ timeout: 20_000 });
    // Viewers have no owner tools and no input tools.
    expect(await guestPage.getByRole('button', { name: 'Delete session' }).count()).toBe(0);
    expect(await guestPage.getByRole('button', { name: 'Send Ctrl+Alt+Del' }).count()).toBe(0);
    expect(await guestPage.getByTestId('share-button').count()).toBe(0);
    await shot(guestPage, 'viewer');
    // A viewer's right-click changes nothing on the owner's desktop.
    const before = await centralSample(ownerPage);
    await clickDesktop(guestPage, 0.5, 0.45, 'right');
    await guestPage.waitForTimeout(3_000);
    expect(changed(before, await centralSample(ownerPage))).toBeLessThan(0.005);
  });

  it('they chat both ways; markup arrives as text', async () => {
    const fromGuest = 'hello from the viewer';
    await guestPage.getByTestId('chat-input').fill(fromGuest);
    await guestPage.getByTestId('chat-input').press('Enter');
    await waitForChatText(ownerPage, fromGuest);
    await waitForChatText(guestPage, fromGuest);

    const fromOwner = '<img src=x onerror="document.title=\'pwned\'"> welcome';
    await ownerPage.getByTestId('chat-input').fill(fromOwner);
    await ownerPage.getByTestId('chat-send').click();
    await waitForChatText(guestPage, 'welcome');
    expect(await chatTexts(guestPage)).toContain(fromOwner);
    expect(await guestPage.locator('[data-testid="chat-messages"] img').count()).toBe(0);
    expect(await guestPage.title()).not.toBe('pwned');
    // Each sees who wrote what.
    expect(await ownerPage.getByTestId('chat-author').allTextContents()).toEqual([
      guest.username,
      owner.username,
    ]);
    await ownerPage.getByTestId('chat-person').filter({ hasText: guest.username }).waitFor();
    await shot(ownerPage, 'owner-chat');
    await shot(guestPage, 'viewer-chat');

    // With the panel hidden, the chat button counts what others wrote meanwhile.
    await guestPage.getByRole('button', { name: 'Hide chat' }).first().click();
    await guestPage.getByTestId('chat-panel').waitFor({ state: 'detached' });
    await ownerPage.getByTestId('chat-input').fill('are you still there?');
    await ownerPage.getByTestId('chat-input').press('Enter');
    await guestPage.getByTestId('chat-unread').getByText('1', { exact: true }).waitFor({ timeout: 20_000 });
    await guestPage.getByRole('button', { name: 'Show chat' }).click();
    await waitForChatText(guestPage, 'are you still there?');
  });

  it('the owner sees the participant and removes them; the viewer is told', async () => {
    await openSharePanel();
    const row = ownerPage.getByTestId('participant').filter({ hasText: guest.username });
    await row.waitFor({ timeout: 15_000 });
    expect(await row.textContent()).toContain('viewer');
    await shot(ownerPage, 'owner-participants');
    await row.getByTestId('participant-kick').click();
    const gone = guestPage.getByTestId('session-gone');
    await gone.waitFor({ timeout: 20_000 });
    expect(await gone.getAttribute('data-code')).toBe('4001');
    expect(await gone.textContent()).toContain('You were removed from this session');
    // The chat was closed by the server too (not reconnecting), its history still readable.
    await guestPage.getByTestId('chat-closed').waitFor({ timeout: 20_000 });
    expect(await chatTexts(guestPage)).toContain('hello from the viewer');
    await shot(guestPage, 'viewer-removed');
    // The owner's desktop is unaffected.
    await ownerPage
      .getByTestId('participant')
      .filter({ hasText: guest.username })
      .waitFor({ state: 'detached' });
    expect(await ownerPage.getByTestId('connection-state').textContent()).toBe('Connected');
  });

  it('the owner stops sharing (confirmed): the old link is dead for everyone', async () => {
    await stopSharing();
    await goto(guestPage, new URL(link).pathname);
    await guestPage.getByTestId('join-dead-link').waitFor({ timeout: 15_000 });
    await shot(guestPage, 'dead-link');
  });

  it('with full control granted, the guest joins a new link as collaborator: their input reaches the desktop', async () => {
    const fullControl = (on: boolean) =>
      adminCall('PATCH', `/api/admin/groups/${sharersGroupId}`, {
        settings: { allow_sharing: true, shared_session_full_control: on },
      });
    await fullControl(true);
    try {
      const collaboratorLink = await shareNewLink();
      await ownerPage.keyboard.press('Escape');
      await goto(guestPage, new URL(collaboratorLink).pathname);
      await joinedAs('collaborator');
      await waitForDesktop(guestPage);
      // Collaborators get the input tools viewers do not.
      await guestPage.getByRole('button', { name: 'Send Ctrl+Alt+Del' }).waitFor();

      // The guest's right-click opens the desktop menu on the owner's screen; a click elsewhere
      // closes it.
      const before = await centralSample(ownerPage);
      await clickDesktop(guestPage, 0.5, 0.45, 'right');
      await expect
        .poll(async () => changed(before, await centralSample(ownerPage)), { timeout: 15_000, interval: 250 })
        .toBeGreaterThan(0.02);
      await shot(ownerPage, 'collaborator-menu');
      await clickDesktop(guestPage, 0.3, 0.75, 'left');
      await expect
        .poll(async () => changed(before, await centralSample(ownerPage)), { timeout: 15_000, interval: 250 })
        .toBeLessThan(0.002);
    } finally {
      await fullControl(false);
    }
    // Not shared any more, as the next step expects.
    await stopSharing();
  });

  it('shared again (a new link), joined again, then deleted by the owner: the viewer is told it ended', async () => {
    const fresh = await shareNewLink();
    expect(fresh).not.toBe(link);
    await goto(guestPage, new URL(fresh).pathname);
    await joinedAs('viewer');
    await ownerPage.keyboard.press('Escape');
    await ownerPage.getByRole('button', { name: 'Delete session' }).click();
    await ownerPage
      .getByRole('dialog')
      .filter({ hasText: 'cannot be undone' })
      .getByRole('button', { name: 'Delete session' })
      .click();
    const gone = guestPage.getByTestId('session-gone');
    await gone.waitFor({ timeout: 30_000 });
    expect(await gone.getAttribute('data-code')).toBe('4004');
    expect(await gone.textContent()).toContain('The session has ended');
    await shot(guestPage, 'viewer-ended');
  });
});

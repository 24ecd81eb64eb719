// The workspace images in a real browser: Chromium opens the noVNC client each image serves at /,
// authenticates with kasm_user:$VNC_PW, and must end up showing a drawn desktop / Firefox.
// Screenshots land in test-results/ for a human look.
import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  imagePresent,
  imageRef,
  removeContainer,
  startWorkspace,
  type Workspace,
  waitForBanner,
} from '../../images/test/support/workspace.js';
import { expectNoCspViolations, gotoRetrying, launchChromium, newContext } from './support/browser.js';

const resultsDir = 'test-results';
let browser: Browser;

beforeAll(async () => {
  await mkdir(resultsDir, { recursive: true });
  browser = await launchChromium();
});

// Every page runs under the server's Content-Security-Policy: a violation fails the test.
afterEach(() => expectNoCspViolations());

afterAll(async () => {
  await browser?.close();
});

interface CanvasStats {
  width: number;
  height: number;
  distinctColours: number;
  /** Share of sampled pixels taken by the most common colour. */
  dominantShare: number;
  /** Share of saturated blue pixels: Firefox's link colour and illustrations, absent from a blank tab. */
  blueShare: number;
}

// Reads noVNC's canvas in the page (same origin, so not tainted) on a sparse grid.
async function canvasStats(page: Page): Promise<CanvasStats | undefined> {
  return page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('#noVNC_container canvas');
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx || canvas.width < 2 || canvas.height < 2) return undefined;
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const counts = new Map<number, number>();
    let samples = 0;
    let blue = 0;
    for (let y = 0; y < canvas.height; y += 4) {
      for (let x = 0; x < canvas.width; x += 4) {
        const i = (y * canvas.width + x) * 4;
        const [r, g, b] = [data[i] ?? 0, data[i + 1] ?? 0, data[i + 2] ?? 0];
        if (b > 170 && r < 90 && b - g > 60) blue++;
        const key = (r << 16) | (g << 8) | b;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        samples++;
      }
    }
    const dominant = Math.max(...counts.values());
    return {
      width: canvas.width,
      height: canvas.height,
      distinctColours: counts.size,
      dominantShare: dominant / samples,
      blueShare: blue / samples,
    };
  });
}

async function waitFor(
  page: Page,
  what: string,
  ok: (stats: CanvasStats) => boolean,
  timeoutMs = 60_000,
): Promise<CanvasStats> {
  const deadline = Date.now() + timeoutMs;
  let last: CanvasStats | undefined;
  while (Date.now() < deadline) {
    last = await canvasStats(page);
    if (last && ok(last)) return last;
    await page.waitForTimeout(250);
  }
  throw new Error(`${what} never happened: ${JSON.stringify(last)}`);
}

interface Case {
  name: 'desktop' | 'firefox';
  env: Record<string, string>;
  /** What the remote screen must show once the session is up. */
  shows: (stats: CanvasStats) => boolean;
}

const cases: Case[] = [
  // The wallpaper gradient alone is dozens of colours; the panel and icons add more.
  { name: 'desktop', env: {}, shows: (s) => s.distinctColours >= 40 && s.dominantShare < 0.5 },
  // Firefox's UI plus the page KASM_URL names: about:license has blue links and an illustration.
  {
    name: 'firefox',
    env: { KASM_URL: 'about:license' },
    shows: (s) => s.distinctColours >= 40 && s.dominantShare < 0.95 && s.blueShare > 0.003,
  },
];

for (const c of cases) {
  describe(`${c.name} in Chromium through its own noVNC client`, () => {
    let ws: Workspace | undefined;

    beforeAll(async () => {
      const ref = imageRef(c.name);
      if (!(await imagePresent(ref))) throw new Error(`${ref} is missing: run scripts/test-images.sh`);
      ws = await startWorkspace(ref, { env: c.env, shmBytes: 512 * 1024 * 1024 });
      await waitForBanner(ws.port, ws.password);
    });

    afterAll(async () => {
      await removeContainer(ws?.container);
    });

    it('connects, draws the remote screen and resizes it to the browser window', async () => {
      if (!ws) throw new Error('workspace did not start');
      // An odd size on purpose: with resize=remote the server must follow the browser.
      const viewport = { width: 1180, height: 740 };
      const context = await newContext(browser, {
        viewport,
        httpCredentials: { username: 'kasm_user', password: ws.password },
      });
      try {
        const page = await context.newPage();
        const errors: string[] = [];
        page.on('pageerror', (err) => errors.push(err.message));
        await gotoRetrying(page, `https://127.0.0.1:${ws.port}/?password=${encodeURIComponent(ws.password)}`);
        await page.waitForURL(/vnc\.html\?.*autoconnect=true/);
        const t0 = Date.now();
        await waitFor(page, 'the remote screen resizing to the browser', (s) => {
          return s.width === viewport.width && s.height === viewport.height;
        });
        const resizedAfter = Date.now() - t0;
        const stats = await waitFor(page, `${c.name} being drawn`, c.shows);
        await page.screenshot({ path: `${resultsDir}/images-${c.name}.png` });
        console.log(`${c.name}: resized after ${resizedAfter} ms, drawn after ${Date.now() - t0} ms`, stats);

        const status = page.locator('#noVNC_status');
        expect(await status.getAttribute('class')).not.toContain('noVNC_status_error');
        expect(errors).toEqual([]);
        expect({ width: stats.width, height: stats.height }).toEqual(viewport);
      } finally {
        await context.close();
      }
    });
  });
}

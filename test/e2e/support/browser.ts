// Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core (no
// `playwright install`, no downloads). Flags keep it off the network except for the pages a test opens.
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';

export const chromiumPath = process.env.PORTHOLE_CHROMIUM ?? '/usr/bin/chromium';

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--ignore-certificate-errors',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}

/** Context defaults for pages served with self-signed certificates (workspace images, `porthole up`). */
export function contextOptions(extra: BrowserContextOptions = {}): BrowserContextOptions {
  return { ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 }, ...extra };
}

/**
 * page.goto that survives Chromium's net::ERR_NETWORK_CHANGED: on a Docker host every container
 * start or stop adds or removes a veth interface, which Chromium reports as a network change and
 * aborts navigations in flight.
 */
export async function gotoRetrying(page: Page, url: string, attempts = 4): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await page.goto(url);
      return;
    } catch (err) {
      const changed = err instanceof Error && err.message.includes('ERR_NETWORK_CHANGED');
      if (!changed || i >= attempts) throw err;
    }
  }
}

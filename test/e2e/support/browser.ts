// Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core (no
// `playwright install`, no downloads). Flags keep it off the network except for the pages a test opens.
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from 'playwright-core';

export const chromiumPath = process.env.PORTHOLE_CHROMIUM ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

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

/**
 * `scripts/test-services.sh` builds `test/support/no-netlink.c` and names it here: Chromium then
 * stops reacting to the veth interfaces Docker adds and removes for other tests' containers.
 */
const preload = process.env.PORTHOLE_CHROMIUM_PRELOAD;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: chromiumArgs,
    ...(preload ? { env: { ...process.env, LD_PRELOAD: preload } } : {}),
  });
}

/** Context defaults for pages served with self-signed certificates (workspace images, `porthole up`). */
export function contextOptions(extra: BrowserContextOptions = {}): BrowserContextOptions {
  return { ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 }, ...extra };
}

const CSP_MARKER = '[porthole-csp-violation]';

/** Every Content-Security-Policy violation any watched page reported, as one line each. */
const cspViolations: string[] = [];

/**
 * Reports each `securitypolicyviolation` event as a marked console error, before the page's own
 * scripts run; Chromium's own "Refused to … Content Security Policy" console lines are caught too
 * (they also cover what happens before the listener exists).
 */
function reportViolations(marker: string): void {
  document.addEventListener('securitypolicyviolation', (e) => {
    console.error(
      marker +
        JSON.stringify({
          page: location.href,
          directive: e.violatedDirective,
          blocked: e.blockedURI,
          source: `${e.sourceFile}:${e.lineNumber}`,
          sample: e.sample,
        }),
    );
  });
}

async function watchCsp(context: BrowserContext): Promise<void> {
  await context.addInitScript(reportViolations, CSP_MARKER);
  context.on('console', (msg) => {
    const text = msg.text();
    if (text.startsWith(CSP_MARKER)) cspViolations.push(text.slice(CSP_MARKER.length));
    else if (msg.type() === 'error' && /Content Security Policy/i.test(text)) cspViolations.push(text);
  });
}

/**
 * A browser context with `contextOptions(extra)` whose pages report CSP violations: every e2e
 * test opens its pages through this, and `expectNoCspViolations` fails the test on any.
 */
export async function newContext(
  browser: Browser,
  extra: BrowserContextOptions = {},
): Promise<BrowserContext> {
  const context = await browser.newContext(contextOptions(extra));
  await watchCsp(context);
  return context;
}

/** Fails when any watched page violated its Content-Security-Policy (then forgets them). */
export function expectNoCspViolations(): void {
  const seen = cspViolations.splice(0);
  if (seen.length > 0) throw new Error(`Content-Security-Policy violations:\n${seen.join('\n')}`);
}

/**
 * page.goto that survives Chromium's reaction to Docker: every container start or stop adds or
 * removes a veth interface, which Chromium reports as a network change (ERR_NETWORK_CHANGED, or an
 * interrupted navigation that lands on chrome-error://) and aborts navigations in flight.
 */
export function isNetworkBlip(err: unknown): boolean {
  return /ERR_NETWORK_CHANGED|chrome-error|interrupted by another navigation|ERR_ABORTED/.test(String(err));
}

export async function gotoRetrying(page: Page, url: string, attempts = 8): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await page.goto(url);
      if (!page.url().startsWith('chrome-error')) return;
      throw new Error(`chrome-error page for ${url}`);
    } catch (err) {
      if (attempt >= attempts || !isNetworkBlip(err)) throw err;
      await page.waitForTimeout(750);
    }
  }
}

// The admin Developers tab end to end against a real `porthole up`: an admin creates an API key in
// the browser, copies the key and secret from the one-time dialog, a script (plain HTTPS, no cookie)
// calls the developer API with them, then the admin revokes the key and the same call gets 401.

import { mkdir } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectNoCspViolations, gotoRetrying, launchChromium, newContext } from './support/browser.js';
import { adminUsername, type PortholeUp, startPorthole } from './support/porthole-up.js';

const shots = 'test-results/screenshots';

let porthole: PortholeUp;
let browser: Browser;
let page: Page;

/**
 * A POST as a script would send it: JSON, no cookie. node:https rather than fetch only because
 * `porthole up` serves a self-signed certificate and Node's fetch has no per-call way to accept one.
 */
function postJson(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: 'POST',
        rejectUnauthorized: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({
            status: res.statusCode ?? 0,
            body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  // No sessions here: no local agent and no image builds keep the start quick and the host quiet.
  porthole = await startPorthole({ env: { PORTHOLE_BUILD_IMAGES: 'false', PORTHOLE_LOCAL_AGENT: 'false' } });
  browser = await launchChromium();
  page = await (await newContext(browser)).newPage();
});

// Every page runs under the server's Content-Security-Policy: a violation fails the test.
afterEach(() => expectNoCspViolations());

afterAll(async () => {
  await browser?.close();
  await porthole?.stop();
});

describe('admin Developers tab', () => {
  let apiKey: string;
  let secret: string;

  it('creates a key in the browser and shows its key and secret once', async () => {
    await gotoRetrying(page, `${porthole.url}/login?next=/admin/developers`);
    await page.getByLabel('Username').fill(adminUsername);
    await page.getByLabel('Password', { exact: true }).fill(porthole.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${porthole.url}/admin/developers`);
    await page.getByText('No API keys').waitFor();
    await expect(page.getByRole('link', { name: 'Developers' }).getAttribute('aria-current')).resolves.toBe(
      'page',
    );

    await page.getByRole('button', { name: 'New API key' }).click();
    const form = page.getByRole('dialog', { name: 'New API key' });
    await form.getByLabel('Name').fill('e2e script');
    await form.getByLabel('users_view').check();
    // A date in the past passes the form's own checks; the server refuses it, naming the field.
    await form.getByLabel('Expires').fill('2001-01-01');
    await form.getByRole('button', { name: 'Create key' }).click();
    await form.getByText('must be in the future').waitFor();
    expect(await form.getByLabel('Expires').getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: `${shots}/developers-field-error.png` });

    await form.getByLabel('Expires').fill('');
    await form.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByRole('dialog', { name: 'API key e2e script created' });
    await shown.getByText('You will not see the secret again', { exact: false }).waitFor();
    apiKey = (await shown.getByTestId('api-key-value').textContent()) ?? '';
    secret = (await shown.getByTestId('api-key-secret-value').textContent()) ?? '';
    expect(apiKey).toMatch(/\S{8,}/);
    expect(secret).toMatch(/\S{32,}/);
    await page.screenshot({ path: `${shots}/developers-secret-once.png` });
    await shown.getByRole('button', { name: 'I have saved the secret' }).click();

    // Listed without its secret.
    const row = page.getByTestId(`api-key-row-${apiKey}`);
    await row.getByText('users_view').waitFor();
    expect(await page.getByText(secret).count()).toBe(0);
    await page.screenshot({ path: `${shots}/developers-list.png` });
  });

  it('lets a script call the developer API with the shown key and secret', async () => {
    const r = await postJson(`${porthole.url}/api/public/get_users`, {
      api_key: apiKey,
      api_key_secret: secret,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const users = r.body.users as Array<{ username: string }>;
    expect(users.map((u) => u.username)).toContain(adminUsername);
  });

  it('revokes the key in the browser, after which the same call is 401', async () => {
    await page.getByRole('button', { name: 'Revoke e2e script' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke e2e script?' });
    await confirm.getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('No API keys').waitFor();

    const r = await postJson(`${porthole.url}/api/public/get_users`, {
      api_key: apiKey,
      api_key_secret: secret,
    });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error_message: expect.any(String) });
  });
});

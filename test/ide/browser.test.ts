import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, launchOfflineBrowser, type OfflineBrowser } from '../support/chromium.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * The development IDE in a real headless browser, offline: every request that is not to loopback is
 * aborted, so GraphiQL, its editor, workers, styles and fonts must all come from this server.
 * Outside CI, a machine without Debian's chromium skips this file (CI installs it and must run it).
 */
const executable = findChromium();
const runs = executable !== null || process.env.CI === 'true';
if (!runs) console.warn('test/ide/browser.test.ts skipped: no chromium on PATH (apt-get install chromium)');

describe.runIf(runs)('GraphQL IDE in a browser, offline', () => {
  let server: TestServer;
  let browser: OfflineBrowser;

  beforeAll(async () => {
    if (executable === null) throw new Error('CI=true but chromium is not on PATH: .ci/run installs it');
    [server, browser] = await Promise.all([startTestServer(), launchOfflineBrowser(executable)]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('signs in as alice, runs a query, sees her parks, then switches tenant', async () => {
    const page = await browser.context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${server.url}/`);
    expect(new URL(page.url()).pathname).toBe('/graphql');

    await page.getByLabel('Demo user').selectOption('alice@example.com');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Signed in as alice@example.com').waitFor();

    await page.locator('.graphiql-execute-button').click();
    const response = page.locator('.graphiql-response');
    await response.getByText('Big Bend Ranch State Park').waitFor();
    expect(await response.textContent()).not.toContain('Deception Pass State Park');

    await page.getByLabel('Tenant').selectOption('washington');
    await page.locator('.graphiql-execute-button').click();
    await response.getByText('Deception Pass State Park').waitFor();
    expect(await response.textContent()).not.toContain('Big Bend Ranch State Park');

    expect(pageErrors).toEqual([]);
    expect(browser.blocked).toEqual([]);
  }, 60_000);
});

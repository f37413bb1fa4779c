import { accessSync, constants, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's `chromium` on PATH, or null. `.ci/run` installs it, so CI never lacks it. */
export function findChromium(): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'chromium');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface OfflineBrowser {
  context: BrowserContext;
  /** Every request that left loopback and was aborted. */
  blocked: string[];
  close(): Promise<void>;
}

/**
 * Headless chromium with a fresh profile in which every request to anything but loopback is
 * aborted (and recorded), workers' requests included: what a page needs from the network shows.
 */
export async function launchOfflineBrowser(executablePath: string): Promise<OfflineBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'tenantgraph-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const blocked: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (LOOPBACK_HOSTS.has(url.hostname)) return route.continue();
    blocked.push(url.href);
    return route.abort('blockedbyclient');
  });
  return {
    context,
    blocked,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

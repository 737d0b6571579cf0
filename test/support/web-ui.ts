// Opens a workflow run's history page in the Temporal Web UI (Chromium), optionally with the codec
// server set in the browser (the UI's "Codec Server" settings) and a token cookie for it, and records
// the HTTP status of each call the page makes to the codec server.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';

export interface WebUiRunOptions {
  browser: Browser;
  /** The dev server's Web UI, e.g. `http://127.0.0.1:8233`. */
  uiUrl: string;
  namespace: string;
  workflowId: string;
  runId: string;
  /**
   * The codec server the page calls: the one the UI was started with (`--ui-codec-endpoint`,
   * `override` unset), or `override.endpoint` set in the browser's codec settings with credentials
   * included, `override.cookie` set for that endpoint (as the codec server's token page sets it).
   */
  codecEndpoint: string;
  override?: { endpoint: string; cookie?: { name: string; value: string } };
  /** A clear text of the run the page shows once the Input and Result panels rendered. */
  waitForText: string;
}

export interface WebUiRun {
  page: Page;
  context: BrowserContext;
  /** HTTP status per call to the codec server (POST); 0 when a call failed (nothing listening). */
  codecStatuses: number[];
  /** The page's visible text. */
  text(): Promise<string>;
  close(): Promise<void>;
}

export async function openRunInWebUi(options: WebUiRunOptions): Promise<WebUiRun> {
  const { browser, override } = options;
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  if (override !== undefined) {
    // The Web UI's "Codec Server" settings, as the settings dialog stores them in localStorage.
    const settings = { endpoint: JSON.stringify(override.endpoint), includeCredentials: 'true', overrideRemoteCodecConfiguration: 'true' };
    await context.addInitScript(`for (const [k, v] of Object.entries(${JSON.stringify(settings)})) localStorage.setItem(k, v);`);
    if (override.cookie !== undefined)
      await context.addCookies([{ ...override.cookie, url: override.endpoint, httpOnly: true, sameSite: 'Lax' }]);
  }
  const page = await context.newPage();
  const endpoint = override?.endpoint ?? options.codecEndpoint;
  const codecStatuses: number[] = [];
  const isCodecCall = (url: string, method: string) => url.startsWith(`${endpoint}/`) && method === 'POST';
  page.on('response', (r) => void (isCodecCall(r.url(), r.request().method()) && codecStatuses.push(r.status())));
  page.on('requestfailed', (r) => void (isCodecCall(r.url(), r.method()) && codecStatuses.push(0)));
  await page.goto(`${options.uiUrl}/namespaces/${options.namespace}/workflows/${options.workflowId}/${options.runId}/history`);
  // The Input and Result panels render once the codec answered or failed; the UI may keep calling it, so no networkidle.
  await page.getByText(options.waitForText).first().waitFor({ timeout: 60_000 });
  await expect.poll(() => codecStatuses.length, { timeout: 60_000 }).toBeGreaterThan(0);
  await page.waitForTimeout(1_500); // let the UI render what the codec answered
  return {
    page,
    context,
    codecStatuses,
    text: () => shownText(page),
    close: () => context.close(),
  };
}

/** What the page shows (rendered text: what a person reads, not hidden DOM). */
async function shownText(page: Page): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's locator.innerText() is what a person sees, not the DOM property
  return page.locator('body').innerText();
}

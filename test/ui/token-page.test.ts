// The token page as a person on a laptop uses it, in Debian's Chromium: paste a token on the codec
// server's page, then a page on another localhost port (standing in for the Web UI at
// localhost:8233) calls /decode with credentials: 'include' and sees the sealed field.
import { createServer, type Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCodecServer, type AuditEvent, type CodecServer } from '../../src/server';
import { launchChromium } from '../support/chromium';
import { fromWire, keyring, PLAINTEXT, sealedIntake, STATIC_TOKENS, TOKENS, toWire } from '../server/fixtures';

const COOKIE = 'sealed_codec_token';
const SCREENSHOTS =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? path.join(__dirname, '../../docs/screenshots')
    : path.join(os.tmpdir(), 'sealed-fields-screenshots');

let codecServer: CodecServer;
let codecUrl: string; // http://localhost:<port>: the host name the "Web UI" uses too
let uiServer: Server;
let uiUrl: string;
let otherServer: Server;
let otherUrl: string;
let browser: Browser;
let body: string;
const audit: AuditEvent[] = [];

/** A blank page on its own localhost port: a stand-in for the Web UI's origin. */
async function blankSite(): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>web ui</title><p>web ui</p>'),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://localhost:${(server.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  body = toWire([await sealedIntake()]);
  ({ server: uiServer, url: uiUrl } = await blankSite());
  ({ server: otherServer, url: otherUrl } = await blankSite());
  codecServer = await createCodecServer({
    keyring,
    auth: { staticTokens: STATIC_TOKENS },
    cors: { origins: [uiUrl] },
    tokenPage: true,
    audit: (record) => void audit.push(record),
  });
  codecUrl = `http://localhost:${(await codecServer.listen()).port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await codecServer?.close();
  await Promise.all([uiServer, otherServer].map((s) => s && new Promise((resolve) => s.close(resolve))));
});

/** What the page at `siteUrl` gets from `/decode` with the browser's cookies (fetch credentials 'include'). */
async function decodeFrom(
  context: BrowserContext,
  siteUrl: string,
  credentials: 'include' | 'omit' = 'include',
): Promise<{ status: number; text: string } | { error: string }> {
  const page = await context.newPage();
  await page.goto(siteUrl);
  const result = await page.evaluate(
    async ({ url, body, credentials }) => {
      try {
        const response = await fetch(url, {
          method: 'POST',
          credentials,
          headers: { 'content-type': 'application/json', 'x-namespace': 'default' },
          body,
        });
        return { status: response.status, text: await response.text() };
      } catch (err) {
        return { error: String(err) };
      }
    },
    { url: `${codecUrl}/decode`, body, credentials },
  );
  await page.close();
  return result;
}

async function isRevealed(context: BrowserContext, siteUrl = uiUrl, credentials: 'include' | 'omit' = 'include'): Promise<boolean> {
  const result = await decodeFrom(context, siteUrl, credentials);
  if ('error' in result) throw new Error(`fetch failed: ${result.error}`);
  expect(result.status).toBe(200);
  return JSON.stringify(fromWire(result.text)).includes(PLAINTEXT.ssn);
}

async function openTokenPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  const response = await page.goto(`${codecUrl}/token`);
  expect(response?.status()).toBe(200);
  return page;
}

async function pasteToken(page: Page, token: string): Promise<void> {
  await page.getByLabel('Bearer token').fill(token);
  await page.getByRole('button', { name: 'Store in this browser' }).click();
  await page.waitForLoadState();
}

describe('the token page in Chromium', () => {
  let context: BrowserContext;
  beforeAll(async () => {
    context = await browser.newContext();
  });
  afterAll(() => context?.close());

  test('before a token is pasted, the Web UI origin gets placeholders', async () => {
    const page = await openTokenPage(context);
    await expect.poll(() => page.locator('#status').innerText()).toContain('No token is stored');
    expect(await isRevealed(context)).toBe(false);
    await page.close();
  });

  test('a pasted token is stored in a host-only HttpOnly SameSite=Strict cookie, and the page never shows it', async () => {
    const page = await openTokenPage(context);
    await pasteToken(page, TOKENS.clinician);
    await expect.poll(() => page.locator('#status').innerText()).toContain('dr-ana');
    expect(page.url()).toBe(`${codecUrl}/token`);
    const [cookie, ...others] = (await context.cookies(codecUrl)).filter((c) => c.name === COOKIE);
    expect(others).toEqual([]);
    expect(cookie).toMatchObject({
      value: TOKENS.clinician,
      domain: 'localhost',
      path: '/',
      httpOnly: true,
      secure: false,
      sameSite: 'Strict',
    });
    expect(await page.content()).not.toContain(TOKENS.clinician);
    expect(await page.evaluate<string>('document.cookie')).not.toContain(TOKENS.clinician);
    expect(await page.locator('#token').inputValue()).toBe('');
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.setViewportSize({ width: 900, height: 560 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'token-page.png') });
    await page.close();
  });

  test("the Web UI origin's credentialed /decode (another port, same site) reveals the sealed field", async () => {
    const before = audit.length;
    expect(await isRevealed(context)).toBe(true);
    expect(audit.slice(before).some((e) => e.event === 'reveal' && e.subject === 'dr-ana')).toBe(true);
  });

  test("without credentials: 'include' the field stays sealed", async () => {
    expect(await isRevealed(context, uiUrl, 'omit')).toBe(false);
  });

  test('another localhost origin gets no CORS grant: its fetch fails and reveals nothing', async () => {
    const before = audit.length;
    const result = await decodeFrom(context, otherUrl);
    expect(result).toHaveProperty('error');
    expect(audit.slice(before).some((e) => e.event === 'reveal')).toBe(false);
  });

  test('a form on the Web UI origin cannot store a token on the codec server (CSRF): 403, cookie unchanged', async () => {
    const page = await context.newPage();
    await page.goto(uiUrl);
    const submitted = page.waitForResponse((r) => r.url() === `${codecUrl}/token` && r.request().method() === 'POST');
    // A plain HTML form on the Web UI origin posting a token (and a made-up nonce) to the page.
    const fields = { token: TOKENS.support, nonce: 'A'.repeat(43) };
    await page.evaluate(`(() => {
      const form = document.createElement('form');
      form.method = 'post';
      form.action = ${JSON.stringify(`${codecUrl}/token`)};
      for (const [name, value] of Object.entries(${JSON.stringify(fields)})) {
        const input = document.createElement('input');
        input.name = name;
        input.value = value;
        form.append(input);
      }
      document.body.append(form);
      form.submit();
    })()`);
    expect((await submitted).status()).toBe(403);
    const cookie = (await context.cookies(codecUrl)).find((c) => c.name === COOKIE);
    expect(cookie?.value).toBe(TOKENS.clinician);
    await page.close();
  });

  test('clearing the token removes the cookie; the field is sealed again', async () => {
    const page = await openTokenPage(context);
    await page.getByRole('button', { name: 'Clear the stored token' }).click();
    await page.waitForLoadState();
    await expect.poll(() => page.locator('#status').innerText()).toContain('No token is stored');
    expect((await context.cookies(codecUrl)).some((c) => c.name === COOKIE)).toBe(false);
    expect(await isRevealed(context)).toBe(false);
    await page.close();
  });

  test('a token the server does not accept is refused on the page and nothing is stored', async () => {
    const page = await openTokenPage(context);
    await pasteToken(page, 'forged-token-0123456789abcdef');
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('does not accept this token');
    expect(await page.content()).not.toContain('forged-token-0123456789abcdef');
    expect((await context.cookies(codecUrl)).some((c) => c.name === COOKIE)).toBe(false);
    await page.close();
  });
});

test('a browser that never visited the token page gets placeholders', async () => {
  const fresh = await browser.newContext();
  expect(await isRevealed(fresh)).toBe(false);
  await fresh.close();
});

// The codec server as people meet it: the Temporal Web UI in Chromium and `temporal workflow show`.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Keyring } from '../../src/codec';
import { createCodecServer, type AuditEvent, type CodecServer, type StaticToken } from '../../src/server';
import { launchChromium } from '../support/chromium';
import { freePort, startDevServer, type DevServer } from '../support/dev-server';
import { findTemporalCli } from '../support/temporal-cli';
import { openRunInWebUi, type WebUiRun } from '../support/web-ui';
import { CLEAR, PLAINTEXT, runTriage } from './fixtures/run-triage';
import { expectPhiOnlyView, expectRevealedView, expectSealedView } from './fixtures/views';

const TOKEN = {
  clinician: 'clinician-ui-token-0123456789',
  nurse: 'nurse-ui-token-0123456789ab',
  billing: 'billing-ui-token-0123456789',
} as const;
const COOKIE = 'sealed_codec_token';
const ISSUER = 'https://idp.example.test/';
// tsx's types need the `exports` map, which this project's moduleResolution does not read.
const { register } = createRequire(__filename)('tsx/cjs/api') as { register(): () => void };
// UPDATE_SCREENSHOTS=1 refreshes the committed docs/screenshots; other runs keep theirs in the temp dir.
const SCREENSHOTS =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? path.join(__dirname, '../../docs/screenshots')
    : path.join(os.tmpdir(), 'sealed-fields-screenshots');

const tokens: StaticToken[] = [
  { token: TOKEN.clinician, subject: 'dr-ana', purposes: ['phi', 'credential'], namespaces: ['default'] },
  { token: TOKEN.nurse, subject: 'nurse-ben', purposes: ['phi'], namespaces: ['default'] },
  { token: TOKEN.billing, subject: 'billing-bot', purposes: '*', namespaces: ['billing'] },
];

let unregisterTs: () => void;
let codecServer: CodecServer;
let codecUrl: string;
let devServer: DevServer;
let browser: Browser;
let run: { workflowId: string; runId: string };
let signJwt: (claims: Record<string, unknown>) => Promise<string>;
const audit: AuditEvent[] = [];

beforeAll(async () => {
  unregisterTs = register(); // the worker require()s the .ts converter module outside vitest's transform
  const keyring = new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } });
  const uiPort = await freePort();
  const idp = await generateKeyPair('ES256', { extractable: true });
  signJwt = (claims) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(ISSUER)
      .setAudience('temporal-codec')
      .setExpirationTime('5m')
      .sign(idp.privateKey);
  codecServer = await createCodecServer({
    keyring,
    auth: {
      staticTokens: tokens,
      tokenCookie: COOKIE,
      jwt: { publicKey: await exportSPKI(idp.publicKey), issuer: ISSUER, audience: 'temporal-codec' },
    },
    cors: { origins: [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`], credentials: true },
    audit: (record) => void audit.push(record),
  });
  codecUrl = (await codecServer.listen()).url;
  devServer = await startDevServer({ uiPort, codecEndpoint: codecUrl });
  run = await runTriage(devServer, keyring);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await devServer?.teardown();
  await codecServer?.close();
  unregisterTs?.();
});

/** How a browser reaches the codec server: the UI's own setting, or the per-browser override. */
type CodecAccess = { endpoint: 'ui-setting'; cookieToken?: undefined } | { endpoint: string; cookieToken?: string };

async function openWorkflowPage(access: CodecAccess): Promise<WebUiRun> {
  const { cookieToken } = access;
  return openRunInWebUi({
    browser,
    uiUrl: devServer.uiUrl as string,
    namespace: devServer.namespace,
    workflowId: run.workflowId,
    runId: run.runId,
    codecEndpoint: codecUrl,
    ...(access.endpoint !== 'ui-setting' && {
      override: { endpoint: access.endpoint, ...(cookieToken !== undefined && { cookie: { name: COOKIE, value: cookieToken } }) },
    }),
    waitForText: CLEAR.triage,
  });
}

async function shownText(page: Page): Promise<string> {
  return page.locator('body').innerText();
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, name), clip: { x: 256, y: 0, width: 1144, height: 660 } });
}

describe('Temporal Web UI 2.54 in Chromium', () => {
  test('without credentials the codec server answers 200 and the UI shows every clear field with placeholders', async () => {
    const { page, context, codecStatuses } = await openWorkflowPage({ endpoint: 'ui-setting' });
    expectSealedView(await shownText(page));
    expect(codecStatuses.length).toBeGreaterThan(0);
    expect(codecStatuses.every((status) => status === 200)).toBe(true);
    await screenshot(page, 'web-ui-without-token.png');
    await context.close();
  });

  test('with a clinician token in the UI session cookie the UI shows the sealed values', async () => {
    const before = audit.length;
    const { page, context } = await openWorkflowPage({ endpoint: codecUrl, cookieToken: TOKEN.clinician });
    await expect.poll(() => shownText(page), { timeout: 15_000 }).toContain(PLAINTEXT.ssn);
    expectRevealedView(await shownText(page));
    const reveals = audit.slice(before).filter((e) => e.event === 'reveal');
    expect(reveals.length).toBeGreaterThan(0);
    expect(reveals.every((e) => e.event === 'reveal' && e.subject === 'dr-ana' && e.namespace === 'default')).toBe(true);
    await screenshot(page, 'web-ui-with-token.png');
    await context.close();
  });

  test('a token for phi only shows phi values and keeps the credential sealed', async () => {
    const { page, context } = await openWorkflowPage({ endpoint: codecUrl, cookieToken: TOKEN.nurse });
    await expect.poll(() => shownText(page), { timeout: 15_000 }).toContain(PLAINTEXT.ssn);
    expectPhiOnlyView(await shownText(page));
    await context.close();
  });

  test('a forged token is refused with 401 and the UI falls back to clear fields and placeholders', async () => {
    const { page, context, codecStatuses } = await openWorkflowPage({ endpoint: codecUrl, cookieToken: 'forged-token-0123456789abcdef' });
    expectSealedView(await shownText(page));
    expect(codecStatuses).toContain(401);
    await context.close();
  });

  test('a token for another namespace is refused with 403 and nothing is revealed', async () => {
    const { page, context, codecStatuses } = await openWorkflowPage({ endpoint: codecUrl, cookieToken: TOKEN.billing });
    expectSealedView(await shownText(page));
    expect(codecStatuses).toContain(403);
    await context.close();
  });

  test('with no codec server reachable the UI still shows every clear field with placeholders', async () => {
    const deadEndpoint = `http://127.0.0.1:${await freePort()}`;
    const { page, context } = await openWorkflowPage({ endpoint: deadEndpoint });
    expectSealedView(await shownText(page));
    await screenshot(page, 'web-ui-no-codec-server.png');
    await context.close();
  });
});

describe('temporal workflow show --codec-endpoint', () => {
  const execFileAsync = promisify(execFile);

  /** Runs the real CLI and returns its JSON output with every payload's base64 `data` decoded to text. */
  async function showWorkflow(codecArgs: string[]): Promise<string> {
    const cli = findTemporalCli();
    if (cli === undefined) throw new Error('temporal CLI not found (set TEMPORAL_CLI_PATH)');
    const args = [
      'workflow',
      'show',
      '--address',
      devServer.address,
      '--namespace',
      devServer.namespace,
      '-w',
      run.workflowId,
      '--output',
      'json',
      ...codecArgs,
    ];
    const { stdout } = await execFileAsync(cli, args, { timeout: 60_000 });
    return decodedPayloadText(stdout);
  }

  function decodedPayloadText(json: string): string {
    const texts: string[] = [json];
    JSON.parse(json, (key, value: unknown) => {
      if (key === 'data' && typeof value === 'string') texts.push(Buffer.from(value, 'base64').toString('utf8'));
      return value;
    });
    return texts.join('\n');
  }

  test('without a codec endpoint the CLI shows clear fields and placeholders', async () => {
    expectSealedView(await showWorkflow([]));
  });

  test('with the clinician token the CLI shows the sealed values', async () => {
    expectRevealedView(await showWorkflow(['--codec-endpoint', codecUrl, '--codec-auth', `Bearer ${TOKEN.clinician}`]));
  });

  test('with the phi-only token the CLI keeps the credential sealed', async () => {
    expectPhiOnlyView(await showWorkflow(['--codec-endpoint', codecUrl, '--codec-auth', `Bearer ${TOKEN.nurse}`]));
  });

  test('with an identity provider JWT granting phi in default, the CLI shows phi values only', async () => {
    const jwt = await signJwt({ sub: 'nurse-cho', sealed_purposes: ['phi'], temporal_namespaces: ['default'] });
    expectPhiOnlyView(await showWorkflow(['--codec-endpoint', codecUrl, '--codec-auth', `Bearer ${jwt}`]));
    expect(audit.some((e) => e.event === 'reveal' && e.subject === 'nurse-cho')).toBe(true);
  });

  test('without a token the CLI gets placeholders from the codec server', async () => {
    expectSealedView(await showWorkflow(['--codec-endpoint', codecUrl]));
  });

  test('with a forged token the codec server answers 401 and the CLI fails without printing a sealed value', async () => {
    const before = audit.length;
    const failure = await showWorkflow(['--codec-endpoint', codecUrl, '--codec-auth', 'Bearer forged-token-0123456789abcdef']).then(
      () => undefined,
      (err: { code?: number; stdout?: string; stderr?: string }) => err,
    );
    expect(failure).toBeDefined();
    expect(failure?.code).not.toBe(0);
    for (const text of [failure?.stdout ?? '', failure?.stderr ?? '']) expect(text).not.toContain(PLAINTEXT.ssn);
    expect(audit.slice(before).some((e) => e.event === 'denied' && e.status === 401)).toBe(true);
  });
});

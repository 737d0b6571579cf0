// The examples run here on one shared dev server, so they cannot rot.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runBareSecretExample } from '../../examples/bare-secret/run';
import { runDemo } from '../../examples/demo/run';
import { runZodExample } from '../../examples/zod-schemas/run';
import { startDevServer, type DevServer } from '../support/dev-server';
import { eventBytes, findCanaries } from './support/leak-scan';
import { registerTsRequire } from './support/sealed-temporal';

let server: DevServer;
const quiet = { print: () => undefined };

function named(values: string[]): Record<string, string> {
  return Object.fromEntries(values.map((value, i) => [`value${i}`, value]));
}

beforeAll(async () => {
  registerTsRequire(); // the examples' converter modules are .ts, require()d by the SDK
  server = await startDevServer();
});

afterAll(async () => {
  await server?.teardown();
});

test('the demo delivers the JWT and the intake to both activities, and the stored history holds none of the sensitive values', async () => {
  const result = await runDemo({ server, ...quiet });
  expect(result.receipt.recordId).toBe('rec-intake-2026-0042-complete-by-dr-quinn');
  expect(result.receipt.patientName).toBe('Ada Lovelace');
  const stored = eventBytes(result.events);
  expect(findCanaries(stored, named(result.sensitive))).toEqual([]);
  expect(findCanaries(stored, named(result.clear))).toHaveLength(result.clear.length);
});

test('the zod example seals the schema-tagged fields and opens them with the schema validated', async () => {
  const result = await runZodExample({ server, ...quiet });
  expect(result.result.interpretation).toBe('within normal range');
  expect(JSON.parse(result.storedResult)).toMatchObject({ orderId: 'lab-7781', result: '[sealed:phi:example-key]' });
  expect(findCanaries(Buffer.from(result.storedResult), named(result.sensitive))).toEqual([]);
});

test('the bare-secret example keeps secret(jwt) and a key-rule password sealed while the activities get them opened', async () => {
  const result = await runBareSecretExample({ server, ...quiet });
  expect(result.result).toBe('200 /v1/profile authorized=true legacyLogin=true');
  expect(result.storedInputs[0]).toBe('"[sealed:credential:example-key]"');
  expect(JSON.parse(result.storedInputs[1] ?? '{}')).toEqual({ username: 'ada', password: '[sealed:credential:example-key]' });
  expect(findCanaries(Buffer.from(result.storedInputs.join('\n')), named(result.sensitive))).toEqual([]);
});

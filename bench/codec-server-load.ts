// Load test of the codec server on loopback: `npx tsx bench/codec-server-load.ts [--seconds N]`.
// Three scenarios, about 10 s in all, each POSTing a batch of 10 sealed payloads (a typical
// Web UI history page) to /decode. Prints a markdown table for docs/CODEC-SERVER.md.
import 'reflect-metadata';
import { createRequire } from 'node:module';
import os from 'node:os';
import type { Payload } from '@temporalio/common';
import { createSealedPayloadConverter, SealedType, Sensitive, Nested, secret, type Secret } from '../src/index';
import { Keyring, SealingCodec } from '../src/codec';
import { createCodecServer } from '../src/server';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(__filename)('autocannon') as Autocannon;

@SealedType('Bench.Visit')
class Visit {
  date!: string;
  clinic!: string;
  @Sensitive({ purpose: 'phi' }) notes!: string;
}

@SealedType('Bench.Intake')
class Intake {
  patientId!: string;
  status!: string;
  tags!: string[];
  @Sensitive({ purpose: 'phi' }) fullName!: string;
  @Sensitive({ purpose: 'phi' }) ssn!: Secret<string>;
  @Sensitive({ purpose: 'credential' }) jwt!: Secret<string>;
  @Nested(() => Visit) visits!: Visit[];
}

const TOKEN = 'bench-token-0123456789abcdef';
const BATCH = 10;

function intake(i: number): Intake {
  const visits = Array.from({ length: 3 }, (_, v) =>
    Object.assign(new Visit(), { date: `2026-01-0${v + 1}`, clinic: 'north', notes: `note ${i}-${v}` }),
  );
  return Object.assign(new Intake(), {
    patientId: `p-${i}`,
    status: 'admitted',
    tags: ['triage', 'adult'],
    fullName: `Patient ${i}`,
    ssn: secret(`000-00-${String(i).padStart(4, '0')}`, { purpose: 'phi' }),
    jwt: secret(`eyJ.${i}.sig`, { purpose: 'credential' }),
    visits,
  });
}

function toWire(payloads: Payload[]): string {
  const b64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('base64');
  return JSON.stringify({
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
      data: b64(p.data),
    })),
  });
}

async function bodies(keyring: Keyring): Promise<{ sealed: string; plain: string }> {
  const converter = createSealedPayloadConverter();
  const codec = await SealingCodec.create({ keyring });
  const pending = Array.from({ length: BATCH }, (_, i) => converter.toPayload(intake(i)));
  const sealed = await codec.encode(pending, { type: 'workflow', namespace: 'default', workflowId: 'bench' });
  const plain = Array.from({ length: BATCH }, (_, i) => converter.toPayload({ patientId: `p-${i}`, status: 'admitted', tags: ['triage'] }));
  return { sealed: toWire(sealed), plain: toWire(plain) };
}

async function scenario(url: string, name: string, body: string, token: string | undefined, seconds: number) {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-namespace': 'default' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const result = await autocannon({ url: `${url}/decode`, method: 'POST', body, headers, connections: 10, duration: seconds });
  return { name, ...result };
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--seconds');
  const seconds = at === -1 ? 10 : Number(process.argv[at + 1]);
  const keyring = new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } });
  const server = await createCodecServer({
    keyring,
    auth: { staticTokens: [{ token: TOKEN, subject: 'bench', purposes: '*' }] },
    audit: () => undefined,
  });
  const { url } = await server.listen();
  const { sealed, plain } = await bodies(keyring);
  await scenario(url, 'warm-up', sealed, TOKEN, 1);
  const runs = [
    await scenario(url, `reveal all purposes, ${BATCH} sealed payloads`, sealed, TOKEN, Math.round(seconds * 0.4)),
    await scenario(url, `no token (placeholders), ${BATCH} sealed payloads`, sealed, undefined, Math.round(seconds * 0.3)),
    await scenario(url, `pass-through, ${BATCH} unsealed payloads`, plain, TOKEN, Math.round(seconds * 0.3)),
  ];
  await server.close();
  console.log(
    `Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), autocannon in the same process, 10 connections, body ${Buffer.byteLength(sealed)} bytes (sealed batch)\n`,
  );
  console.log('| scenario | req/s | payloads/s | p50 ms | p99 ms | non-2xx |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of runs) {
    console.log(
      `| ${r.name} | ${r.requests.average.toFixed(0)} | ${(r.requests.average * BATCH).toFixed(0)} | ${r.latency.p50} | ${r.latency.p99} | ${r.non2xx + r.errors} |`,
    );
  }
}

void main();

// Regenerates test/vectors/v1.json (format v1, still read; writers now write v2: see make-vectors-v2.ts): `npx tsx scripts/make-vectors.ts`.
// Deterministic key and nonces make the sealed bytes reproducible; never do this outside test vectors.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Payload } from '@temporalio/common';
import { Keyring } from '../src/codec';
import { createSealingCodecForTestVectors } from '../src/codec/sealing-codec';

const KEY_HEX = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const PHI_KEY_HEX = 'f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f';

interface VectorInput {
  name: string;
  namespace: string;
  data: string;
  type?: string;
  pending: unknown;
}

const inputs: VectorInput[] = [
  {
    name: 'one string field',
    namespace: 'default',
    type: 'PatientIntake',
    data: '{"patientId":"p-1","ssn":"[sealed:phi]"}',
    pending: { v: 1, f: [['/ssn', 'phi', 0]], x: ['123-45-6789'] },
  },
  {
    name: 'bare Secret as the whole value',
    namespace: 'default',
    data: '"[sealed:credential]"',
    pending: { v: 1, f: [['', 'credential', 1]], x: ['eyJhbGciOiJIUzI1NiJ9.e30.sig'] },
  },
  {
    name: 'two purposes, array index, escaped pointer, every JSON type',
    namespace: 'clinic-prod',
    type: 'Chart',
    data: '{"visits":[{"notes":"[sealed:phi]"}],"a/b~c":"[sealed:phi]","token":"[sealed:credential]","n":"[sealed:phi]"}',
    pending: {
      v: 1,
      f: [
        ['/visits/0/notes', 'phi', 0],
        ['/a~1b~0c', 'phi', 0],
        ['/token', 'credential', 1],
        ['/n', 'phi', 0],
      ],
      x: ['Ünïcode ✓', { k: [1, true, null] }, 'tok', 42.5],
    },
  },
  {
    name: 'no namespace in the context',
    namespace: '',
    data: '{"x":"[sealed:sensitive]"}',
    pending: { v: 1, f: [['/x', 'sensitive', 0]], x: [null] },
  },
];

function nonceSequence(): { next(): Uint8Array } {
  let counter = 0;
  return {
    next: () => {
      const start = counter++ * 24;
      return Uint8Array.from({ length: 24 }, (_, i) => (start + i) & 0xff);
    },
  };
}

const b64 = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? new Uint8Array()).toString('base64');
const metaB64 = (p: Payload): Record<string, string> => Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)]));

function fieldsByPath(pending: { f: Array<[string]>; x: unknown[] }): Record<string, unknown> {
  return Object.fromEntries(pending.f.map(([path], i) => [path, pending.x[i]]));
}

async function main(): Promise<void> {
  const keyring = new Keyring({
    active: 'k1',
    keys: { k1: Buffer.from(KEY_HEX, 'hex'), 'phi-2026': Buffer.from(PHI_KEY_HEX, 'hex') },
    purposes: { phi: 'phi-2026' },
  });
  const vectors = [];
  for (const input of inputs) {
    const nonces = nonceSequence();
    const issued: string[] = [];
    const recording = {
      next: () => {
        const n = nonces.next();
        issued.push(Buffer.from(n).toString('hex'));
        return n;
      },
    };
    const codec = await createSealingCodecForTestVectors({ keyring }, { nonces: recording, formatVersion: 1 });
    const metadata: Record<string, Uint8Array> = {
      encoding: Buffer.from('json/plain'),
      'sealed-pending': Buffer.from(JSON.stringify(input.pending)),
    };
    if (input.type !== undefined) metadata['sealed-type'] = Buffer.from(input.type);
    const payload: Payload = { metadata, data: Buffer.from(input.data) };
    const [sealed] = (await codec.encode([payload], { type: 'workflow', namespace: input.namespace, workflowId: 'any' })) as [Payload];
    vectors.push({
      name: input.name,
      namespace: input.namespace,
      nonces: issued,
      input: { metadata: metaB64(payload), data: b64(payload.data) },
      sealed: { metadata: metaB64(sealed), data: b64(sealed.data) },
      fields: fieldsByPath(input.pending as { f: Array<[string]>; x: unknown[] }),
    });
  }
  const doc = {
    format: 'temporal-sealed-fields envelope v1',
    keys: { k1: KEY_HEX, 'phi-2026': PHI_KEY_HEX },
    purposeKeys: { phi: 'phi-2026' },
    active: 'k1',
    vectors,
  };
  writeFileSync(join(__dirname, '..', 'test', 'vectors', 'v1.json'), `${JSON.stringify(doc, null, 2)}\n`);
}

void main();

// Regenerates test/vectors/v2.json: `npx tsx scripts/make-vectors-v2.ts`.
// Positive vectors: the real converter marks each value of test/vectors/v2-inputs.ts, the real
// codec seals it with deterministic nonces (never do this outside test vectors), and the script
// checks that a worker reads it back. Negative vectors: a positive one edited, resealed with the
// wrong key, or sealed by hand below (for envelopes the library never writes but must refuse);
// the script checks that the library refuses each with the code it records.
import type { Payload, SerializationContext } from '@temporalio/common';
import sodium from 'libsodium-wrappers';
import { isDeepStrictEqual } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSealedPayloadConverter, SealedError, Secret } from '../src';
import { Keyring, SealingCodec } from '../src/codec';
import { createSealingCodecForTestVectors } from '../src/codec/sealing-codec';
import { boxAad, type BoxPlace } from '../src/codec/aad';
import { envelopeHeaderWithLayout, joinEnvelope, readEnvelopeWithHeader, type FormatVersion } from '../src/codec/envelope';
import { keyCheck, sha256 } from '../src/codec/hash';
import { peekPending } from '../src/lib/handoff';
import { V2_INPUTS, V2_TYPES, type V2Input } from '../test/vectors/v2-inputs';
import { GivenDataKey, type GivenDataKeyFile } from '../test/vectors/given-data-key';
import { GivenSubjectKey, type GivenSubjectKeyFile } from '../test/vectors/given-subject-key';
import type { KeySource } from '../src/codec/key-source';
import { SubjectKeys } from '../src/codec/subject-keys';
import { MemorySubjectKeyStore } from '../src/keystore/memory-store';

const KEY_HEX = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const PHI_KEY_HEX = 'f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f';
/** Not in the vectors' keyring: sealed under the right id with these bytes, a payload must fail authentication. */
const WRONG_KEY_HEX = 'a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf';

const KEYS: Record<string, string> = { k1: KEY_HEX, 'phi-2026': PHI_KEY_HEX };
const PURPOSE_KEYS = { phi: 'phi-2026' };
const keyBytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));
const keyring = new Keyring({ active: 'k1', keys: { k1: keyBytes(KEY_HEX), 'phi-2026': keyBytes(PHI_KEY_HEX) }, purposes: PURPOSE_KEYS });
/** A data key from a KMS API server, wrapped (scripts/make-kms-vector-key.ts wrote it once): the KMS vector is sealed under it. */
const KMS_DATA_KEY = JSON.parse(
  readFileSync(join(__dirname, '..', 'test', 'vectors', 'v2-kms-data-key.json'), 'utf8'),
) as GivenDataKeyFile & { description?: string };
const givenDataKey = new GivenDataKey(KMS_DATA_KEY);
/** The subject key the data-subject vector is sealed under, as a key store would hold it (unwrapped); its hash computed by the library. */
const SUBJECT_INDEX_KEY_HEX = 'b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf';
const SUBJECT_KEY: GivenSubjectKeyFile = {
  subjectIndexKey: SUBJECT_INDEX_KEY_HEX,
  subject: 'patient-1042',
  subjectHash: new SubjectKeys({
    keys: keyring,
    store: new MemorySubjectKeyStore(),
    subjectIndexKey: keyBytes(SUBJECT_INDEX_KEY_HEX),
  }).subjectHash('patient-1042'),
  purpose: 'phi',
  keyId: 'sk-vectorKey001',
  key: 'd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef',
};
const givenSubjectKey = new GivenSubjectKey(SUBJECT_KEY);
const keysOf = (input: V2Input): KeySource => (input.keys === 'kms' ? givenDataKey : input.keys === 'subject' ? givenSubjectKey : keyring);

/** Registered types' sensitive positions (JSON pointers, `*` for any array index or record key), for the typed check of FORMAT.md reading step 3. */
const SENSITIVE_POSITIONS: Record<string, string[]> = {
  PatientIntake: ['/ssn'],
  Visit: ['/notes'],
  Chart: ['/visits/*/notes', '/a~1b~0c', '/n'],
  Contact: ['/details'],
  Login: ['/password'],
  Referral: ['/portal'],
  Session: ['/token'],
  SubjectNote: ['/patientId', '/note'],
};

const utf8 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));
const text = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');
const b64 = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? new Uint8Array()).toString('base64');
const wire = (p: Payload): WirePayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
  data: b64(p.data),
});
const context = (namespace: string): SerializationContext | undefined =>
  namespace === '' ? undefined : { type: 'workflow', namespace, workflowId: 'any' };

interface WirePayload {
  metadata: Record<string, string>;
  data: string;
}

function nonceSequence(issued: string[]): { next(): Uint8Array } {
  let counter = 0;
  return {
    next: () => {
      const start = counter++ * 24;
      const nonce = Uint8Array.from({ length: 24 }, (_, i) => (start + i) & 0xff);
      issued.push(Buffer.from(nonce).toString('hex'));
      return nonce;
    },
  };
}

/** A decoded value as JSON: a Secret is `{"$secret": purpose, "subject"?: id, "value": ...}`; class instances are their own fields. */
function repr(value: unknown): unknown {
  if (Secret.isSecret(value))
    return { $secret: value.purpose, ...(value.subject !== undefined && { subject: value.subject }), value: repr(value.reveal()) };
  if (Array.isArray(value)) return value.map(repr);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, repr(v)]));
  return value;
}

const converter = createSealedPayloadConverter({ types: V2_TYPES });

interface OpenedField {
  path: string;
  purpose: string;
  secret: boolean;
  depth: number;
  value: unknown;
  /** The subject id a data subject's box carries after its values. */
  subject?: string;
}

/** Every field of a sealed payload, depth first (a box's fields, then its inner envelope), with its depth. */
function openedFields(payload: Payload): OpenedField[] {
  const out: OpenedField[] = [];
  const typeName = text(payload.metadata?.['sealed-type']);
  const digest = sha256(payload.data ?? new Uint8Array());
  const level = (bytes: Uint8Array, place: BoxPlace, depth: number): void => {
    const { envelope, header } = readEnvelopeWithHeader(bytes);
    envelope.boxes.forEach((box, index) => {
      const wrapped = box.wrappedKey ?? new Uint8Array();
      const key =
        wrapped[0] === 0x02 ? keyBytes(SUBJECT_KEY.key) : wrapped.length > 0 ? keyBytes(KMS_DATA_KEY.dataKey) : keyring.key(box.keyId);
      const plain = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
        null,
        box.ciphertext,
        boxAad(place, header, index, typeName, digest),
        box.nonce,
        key,
      );
      const split = plain.indexOf(0);
      const values = JSON.parse(text(split === -1 ? plain : plain.subarray(0, split))) as unknown[];
      const subject = wrapped[0] === 0x02 ? (values.pop() as string) : undefined;
      box.fields.forEach((field, i) => {
        out.push({
          path: field.path,
          purpose: box.purpose,
          secret: field.secret,
          depth,
          value: values[i],
          ...(subject !== undefined && { subject }),
        });
      });
      if (split !== -1) level(plain.subarray(split + 1), { version: 2, containerNonce: box.nonce }, depth + 1);
    });
  };
  level(payload.metadata?.['sealed-fields'] as Uint8Array, { version: 2 }, 0);
  return out;
}

async function sealWith(input: Payload, namespace: string, ring: KeySource): Promise<{ sealed: Payload; nonces: string[] }> {
  const nonces: string[] = [];
  const codec = await createSealingCodecForTestVectors({ keys: ring }, { nonces: nonceSequence(nonces) });
  const [sealed] = (await codec.encode([input], context(namespace))) as [Payload];
  return { sealed, nonces };
}

/** The converter's payload with its hand-off reference replaced by the field list it names (inline, as the workflow sandbox writes it). */
function inlined(written: Payload): Payload {
  const reference = text(written.metadata?.['sealed-pending']);
  const list = peekPending(reference);
  if (list === undefined) throw new Error(`converter left no field list under ${reference}`);
  return { metadata: { ...written.metadata, 'sealed-pending': utf8(list) }, data: written.data as Uint8Array };
}

async function positive(input: V2Input): Promise<{ vector: Record<string, unknown>; sealed: Payload }> {
  const value = input.value();
  const written = converter.toPayload(value);
  const inline = inlined(written);
  const { sealed, nonces } = await sealWith(inline, input.namespace, keysOf(input));
  // The converter's own payload (reference and all) seals to the same bytes.
  const viaReference = await sealWith(written, input.namespace, keysOf(input));
  if (!isDeepStrictEqual(wire(viaReference.sealed), wire(sealed)))
    throw new Error(`${input.name}: the reference and the inline list seal differently`);
  // A worker reads it back: codec.decode, then the converter.
  const reader = await SealingCodec.create({ keys: keysOf(input) });
  const [opened] = (await reader.decode([sealed], context(input.namespace))) as [Payload];
  const decoded = repr(converter.fromPayload(opened));
  if (!isDeepStrictEqual(decoded, repr(value))) throw new Error(`${input.name}: decodes to ${JSON.stringify(decoded)}`);
  const fields = openedFields(sealed);
  const library = (await reader.reveal(sealed, { namespace: input.namespace })).opened;
  const same = fields.every(
    (f, i) =>
      f.path === library.paths[i] &&
      f.purpose === library.purposes[i] &&
      f.secret === library.secrets[i] &&
      f.subject === library.subjects?.[i] &&
      isDeepStrictEqual(f.value, library.values[i]),
  );
  if (!same || fields.length !== library.paths.length) throw new Error(`${input.name}: the script's reading differs from the library's`);
  const vector = {
    name: input.name,
    namespace: input.namespace,
    ...(input.keys === 'kms' && { keySource: 'kmsDataKeys' }),
    ...(input.keys === 'subject' && { keySource: 'subjectKeys' }),
    nonces,
    input: wire(inline),
    sealed: wire(sealed),
    fields,
    decoded,
  };
  return { vector, sealed };
}

// ---- Hand sealing, for negative vectors the library never writes ----

interface HandBox {
  keyId: string;
  key?: string;
  purpose: string;
  nonce: number;
  fields: Array<[path: string, secret: boolean]>;
  /** The box's JSON text, or raw bytes. */
  json: string | Uint8Array;
  inner?: HandEnvelope;
}

interface HandEnvelope {
  version: FormatVersion;
  namespace: string;
  boxes: HandBox[];
  /** Seal this level as if for a payload with this data (an envelope lifted from another payload). */
  aadData?: string;
  /** Seal this level as if carried by the box with this nonce number. */
  aadContainerNonce?: number;
}

const nonceOf = (n: number): Uint8Array => Uint8Array.from({ length: 24 }, (_, i) => (n * 24 + i) & 0xff);

function handSeal(envelope: HandEnvelope, place: BoxPlace, typeName: string, digest: Uint8Array): Uint8Array {
  const drafts = envelope.boxes.map((box) => {
    const json = typeof box.json === 'string' ? utf8(box.json) : box.json;
    const nonce = nonceOf(box.nonce);
    const inner = box.inner === undefined ? undefined : handSealInner(box.inner, nonce, typeName, digest);
    const plaintext = inner === undefined ? json : Buffer.concat([json, Uint8Array.of(0), inner]);
    const fields = box.fields.map(([path, secret]) => ({ path, secret }));
    const key = keyBytes(box.key ?? (KEYS[box.keyId] as string));
    return {
      alg: 1,
      keyId: box.keyId,
      purpose: box.purpose,
      keyCheck: keyCheck(key),
      nonce,
      fields,
      plaintext,
      key,
      ciphertextLength: plaintext.length + 16,
    };
  });
  const { header, boxEnds } = envelopeHeaderWithLayout({ version: envelope.version, namespace: envelope.namespace, boxes: drafts });
  const ciphertexts = drafts.map((box, i) =>
    sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(box.plaintext, boxAad(place, header, i, typeName, digest), null, box.nonce, box.key),
  );
  return joinEnvelope(header, boxEnds, ciphertexts);
}

function handSealInner(inner: HandEnvelope, containerNonce: Uint8Array, typeName: string, digest: Uint8Array): Uint8Array {
  const place = {
    version: inner.version,
    containerNonce: inner.aadContainerNonce === undefined ? containerNonce : nonceOf(inner.aadContainerNonce),
  };
  return handSeal(inner, place, typeName, inner.aadData === undefined ? digest : sha256(utf8(inner.aadData)));
}

function handPayload(data: string, envelope: HandEnvelope, typeName?: string): Payload {
  const dataBytes = utf8(data);
  const metadata: Record<string, Uint8Array> = { encoding: utf8('json/plain') };
  if (typeName !== undefined) metadata['sealed-type'] = utf8(typeName);
  metadata['sealed-fields'] = handSeal(envelope, { version: envelope.version }, typeName ?? '', sha256(dataBytes));
  return { metadata, data: dataBytes };
}

// ---- Edits of sealed payloads ----

function withEnvelope(payload: Payload, edit: (envelope: Buffer) => Buffer): Payload {
  const envelope = Buffer.from(payload.metadata?.['sealed-fields'] as Uint8Array);
  return {
    metadata: { ...payload.metadata, 'sealed-fields': new Uint8Array(edit(Buffer.from(envelope))) },
    data: payload.data as Uint8Array,
  };
}

/** Offset of the first box's alg byte: magic, version, namespace length and bytes, box count. */
function firstBoxAt(envelope: Buffer): number {
  return 2 + 1 + 2 + envelope.readUInt16BE(3) + 1;
}

function setByte(at: (e: Buffer) => number, value: number | ((old: number) => number)): (e: Buffer) => Buffer {
  return (e) => {
    const i = at(e);
    e[i] = typeof value === 'number' ? value : value(e[i] as number);
    return e;
  };
}

interface Negative {
  name: string;
  /** The reader's namespace ('' : no serialization context). */
  namespace: string;
  payload: Payload;
  code: string;
  why: string;
}

async function refusedBy(negative: Negative): Promise<{ stage: string; code: string }> {
  const reader = await SealingCodec.create({ keyring });
  const ctx = context(negative.namespace);
  let opened: Payload;
  try {
    [opened] = (await reader.decode([negative.payload], ctx)) as [Payload];
  } catch (err) {
    if (SealedError.is(err)) return { stage: 'codec', code: err.code };
    throw err;
  }
  try {
    converter.fromPayload(opened, ctx);
  } catch (err) {
    if (SealedError.is(err)) return { stage: 'converter', code: err.code };
    throw err;
  }
  throw new Error(`negative vector "${negative.name}" was not refused`);
}

async function main(): Promise<void> {
  await sodium.ready;
  await SealingCodec.create({ keyring }); // a process that marks values has a codec, as every wired client and worker
  const vectors: Array<Record<string, unknown>> = [];
  const sealedByName = new Map<string, Payload>();
  for (const input of V2_INPUTS) {
    const { vector, sealed } = await positive(input);
    vectors.push(vector);
    sealedByName.set(input.name, sealed);
  }
  const one = sealedByName.get('one string field') as Payload;
  const bare = sealedByName.get('bare Secret as the whole value') as Payload;
  const unbound = sealedByName.get('no namespace in the context') as Payload;
  const intake = (): unknown => (V2_INPUTS[0] as V2Input).value();

  const wrongKeyring = new Keyring({
    active: 'k1',
    keys: { k1: keyBytes(KEY_HEX), 'phi-2026': keyBytes(WRONG_KEY_HEX) },
    purposes: PURPOSE_KEYS,
  });
  const retiredKeyring = new Keyring({
    active: 'k1',
    keys: { k1: keyBytes(KEY_HEX), 'phi-2025': keyBytes(WRONG_KEY_HEX) },
    purposes: { phi: 'phi-2025' },
  });
  const wrongKey = await sealWith(inlined(converter.toPayload(intake())), 'default', wrongKeyring);
  const unknownKey = await sealWith(inlined(converter.toPayload(intake())), 'default', retiredKeyring);

  const oneData = text(one.data);
  const contactData = '{"name":"clear","details":"[sealed:phi:phi-2026]"}';
  const contactBox = (inner: HandEnvelope): HandBox => ({
    keyId: 'phi-2026',
    purpose: 'phi',
    nonce: 0,
    fields: [['/details', false]],
    json: '[{"phones":{"ana@example.org":"[sealed:credential]"},"note":"x"}]',
    inner,
  });
  const innerCredential = (namespace: string, version: FormatVersion = 2): HandEnvelope => ({
    version,
    namespace,
    boxes: [{ keyId: 'k1', purpose: 'credential', nonce: 1, fields: [['/details/phones/ana@example.org', true]], json: '["555-0100"]' }],
  });
  /** `depth` inner envelopes, each a phi Secret at the root holding the next one's placeholder. */
  const nestedChain = (depth: number): HandEnvelope => {
    let envelope: HandEnvelope | undefined;
    for (let level = depth; level >= 0; level--) {
      const box: HandBox = {
        keyId: 'phi-2026',
        purpose: 'phi',
        nonce: level,
        fields: [['', true]],
        json: level === depth ? '["deepest"]' : '["[sealed:phi]"]',
      };
      if (envelope !== undefined) box.inner = envelope;
      envelope = { version: 2, namespace: 'default', boxes: [box] };
    }
    return envelope as HandEnvelope;
  };
  const onePhiBox = (fields: Array<[string, boolean]>, json: string | Uint8Array, keyId = 'phi-2026', purpose = 'phi'): HandEnvelope => ({
    version: 2,
    namespace: 'default',
    boxes: [{ keyId, purpose, nonce: 0, fields, json }],
  });
  const plainPayload = (data: string, metadata: Record<string, string> = {}): Payload => ({
    metadata: Object.fromEntries([['encoding', 'json/plain'], ...Object.entries(metadata)].map(([k, v]) => [k, utf8(v as string)])),
    data: utf8(data),
  });
  const pendingList = '{"v":1,"f":[["/ssn","phi",0]],"x":["123-45-6789"]}';

  const negatives: Negative[] = [
    // Reading step 1: what reaches a reader unsealed.
    {
      name: 'pending field list (inline) reached a reader',
      namespace: 'default',
      payload: plainPayload('{"ssn":"[sealed:phi]"}', { 'sealed-pending': pendingList }),
      code: 'SEALED_NOT_SEALED',
      why: 'values marked for sealing were never sealed (a workflow sandbox whose worker has no codec)',
    },
    {
      name: 'pending reference reached a reader',
      namespace: 'default',
      payload: plainPayload('{"ssn":"[sealed:phi]"}', { 'sealed-pending': 'ref:0' }),
      code: 'SEALED_NOT_SEALED',
      why: 'a hand-off reference is meaningful only in the process that wrote it',
    },
    {
      name: 'pending and sealed entries together',
      namespace: 'default',
      payload: { metadata: { ...one.metadata, 'sealed-pending': utf8(pendingList) }, data: one.data as Uint8Array },
      code: 'SEALED_NOT_SEALED',
      why: 'sealed-pending is checked before anything else',
    },
    {
      name: 'opened field list arrived from the wire',
      namespace: 'default',
      payload: plainPayload('{"ssn":"[sealed:phi]"}', { 'sealed-opened': pendingList }),
      code: 'SEALED_MALFORMED',
      why: 'sealed-opened lives in a process memory only',
    },
    {
      name: 'stripped envelope, a placeholder left in data',
      namespace: 'default',
      payload: { metadata: { encoding: utf8('json/plain') }, data: bare.data as Uint8Array },
      code: 'SEALED_TAMPERED',
      why: 'no sealed-fields, but data holds a string that is exactly a placeholder',
    },
    {
      name: 'stripped envelope of a typed payload, clear text in its sensitive field',
      namespace: 'default',
      payload: plainPayload('{"patientId":"p-1","ssn":"999-99-9999"}', { 'sealed-type': 'PatientIntake' }),
      code: 'SEALED_TAMPERED',
      why: 'a sensitive position of a registered type holds a value that was not opened from the envelope',
    },
    // Step 2: the encoding entry.
    {
      name: 'relabelled encoding',
      namespace: 'default',
      payload: { metadata: { ...one.metadata, encoding: utf8('binary/plain') }, data: one.data as Uint8Array },
      code: 'SEALED_TAMPERED',
      why: 'a payload with sealed-fields must say json/plain',
    },
    // Step 3: parsing.
    {
      name: 'bad magic',
      namespace: 'default',
      payload: withEnvelope(
        one,
        setByte(() => 1, 0x47),
      ),
      code: 'SEALED_MALFORMED',
      why: '"SG" is not the magic "SF"',
    },
    {
      name: 'unknown version',
      namespace: 'default',
      payload: withEnvelope(
        one,
        setByte(() => 2, 3),
      ),
      code: 'SEALED_VERSION_UNSUPPORTED',
      why: 'version byte 3',
    },
    {
      name: 'unknown algorithm',
      namespace: 'default',
      payload: withEnvelope(one, setByte(firstBoxAt, 2)),
      code: 'SEALED_ALG_UNSUPPORTED',
      why: 'alg byte 2',
    },
    {
      name: 'namespace not UTF-8',
      namespace: 'default',
      payload: withEnvelope(
        one,
        setByte(() => 5, 0xff),
      ),
      code: 'SEALED_MALFORMED',
      why: 'header strings must be valid UTF-8; never replaced with U+FFFD',
    },
    {
      name: 'zero boxes',
      namespace: 'default',
      payload: withEnvelope(one, (e) => Buffer.concat([e.subarray(0, firstBoxAt(e) - 1), Buffer.of(0)])),
      code: 'SEALED_MALFORMED',
      why: 'box count 0',
    },
    {
      name: 'trailing byte',
      namespace: 'default',
      payload: withEnvelope(one, (e) => Buffer.concat([e, Buffer.of(0)])),
      code: 'SEALED_MALFORMED',
      why: 'nothing may follow the last box',
    },
    {
      name: 'ciphertext shorter than the tag',
      namespace: 'default',
      payload: withEnvelope(one, (e) => {
        const ct = e.length - 31 - 4; // the one box's ct length field (31 = 15 bytes of JSON + 16)
        const out = Buffer.from(e.subarray(0, ct + 4 + 15));
        out.writeUInt32BE(15, ct);
        return out;
      }),
      code: 'SEALED_MALFORMED',
      why: 'ct length 15 < 16',
    },
    {
      name: 'bad purpose grammar',
      namespace: 'default',
      payload: handPayload(
        oneData.replace('phi:phi-2026', 'PHI:phi-2026'),
        onePhiBox([['/ssn', false]], '["123-45-6789"]', 'phi-2026', 'PHI'),
        'PatientIntake',
      ),
      code: 'SEALED_MALFORMED',
      why: 'purpose "PHI" breaks /^[a-z][a-z0-9_-]{0,31}$/ (authenticated, so the grammar check refuses it)',
    },
    {
      name: 'bad key-id grammar',
      namespace: 'default',
      payload: handPayload('{"ssn":"[sealed:phi]"}', {
        version: 2,
        namespace: 'default',
        boxes: [{ keyId: 'phi 2026', key: PHI_KEY_HEX, purpose: 'phi', nonce: 0, fields: [['/ssn', false]], json: '["123-45-6789"]' }],
      }),
      code: 'SEALED_MALFORMED',
      why: 'key id "phi 2026" breaks /^[A-Za-z0-9._-]{1,64}$/',
    },
    // Step 4: namespace.
    {
      name: 'wrong namespace',
      namespace: 'clinic-prod',
      payload: one,
      code: 'SEALED_WRONG_NAMESPACE',
      why: 'sealed in "default", read in "clinic-prod", which does not accept it',
    },
    {
      name: 'unbound envelope read in a namespace',
      namespace: 'default',
      payload: unbound,
      code: 'SEALED_WRONG_NAMESPACE',
      why: 'sealed with no namespace (""), read in "default", which does not list "" in acceptNamespaces',
    },
    // Steps 5-6: keys and authentication.
    {
      name: 'unknown key id',
      namespace: 'default',
      payload: unknownKey.sealed,
      code: 'SEALED_KEY_UNKNOWN',
      why: 'sealed under "phi-2025", which the reader does not hold (it never tries another key)',
    },
    {
      name: 'wrong key bytes under the right id',
      namespace: 'default',
      payload: wrongKey.sealed,
      code: 'SEALED_KEY_MISMATCH',
      why: '"phi-2026" with other key bytes: the key check in the box header differs',
    },
    {
      name: 'tampered ciphertext',
      namespace: 'default',
      payload: withEnvelope(
        one,
        setByte(
          (e) => e.length - 1,
          (b) => b ^ 0x01,
        ),
      ),
      code: 'SEALED_TAMPERED',
      why: 'last tag byte flipped',
    },
    {
      name: 'tampered clear data',
      namespace: 'default',
      payload: { metadata: one.metadata as Record<string, Uint8Array>, data: utf8(oneData.replace('p-1', 'p-2')) },
      code: 'SEALED_TAMPERED',
      why: 'patientId changed: SHA-256(data) is in every AAD',
    },
    {
      name: 'field path moved in the header',
      namespace: 'default',
      payload: withEnvelope(one, (e) => Buffer.from(e.toString('latin1').replace('/ssn', '/sso'), 'latin1')),
      code: 'SEALED_TAMPERED',
      why: 'the header is in every AAD',
    },
    {
      name: 'inner envelope taken from another payload',
      namespace: 'default',
      payload: handPayload(contactData, {
        version: 2,
        namespace: 'default',
        boxes: [contactBox({ ...innerCredential('default'), aadData: '{"name":"other","details":"[sealed:phi:phi-2026]"}' })],
      }),
      code: 'SEALED_TAMPERED',
      why: "the outer box opens, the inner box was sealed over another payload's data digest",
    },
    {
      name: 'inner envelope taken from another box',
      namespace: 'default',
      payload: handPayload(contactData, {
        version: 2,
        namespace: 'default',
        boxes: [contactBox({ ...innerCredential('default'), aadContainerNonce: 7 })],
      }),
      code: 'SEALED_TAMPERED',
      why: 'the outer box opens, the inner box names another container nonce in its AAD',
    },
    // Step 7: box contents.
    {
      name: 'box plaintext not UTF-8',
      namespace: 'default',
      payload: handPayload('{"ssn":"[sealed:phi:phi-2026]"}', onePhiBox([['/ssn', false]], Uint8Array.of(0x5b, 0x22, 0xff, 0x22, 0x5d))),
      code: 'SEALED_MALFORMED',
      why: 'box JSON ["\\xff"]: refused, never replaced with U+FFFD',
    },
    {
      name: 'box plaintext with the wrong count',
      namespace: 'default',
      payload: handPayload('{"ssn":"[sealed:phi:phi-2026]"}', onePhiBox([['/ssn', false]], '["a","b"]')),
      code: 'SEALED_MALFORMED',
      why: 'two values for one field',
    },
    {
      name: 'inner envelope with another namespace',
      namespace: 'default',
      payload: handPayload(contactData, { version: 2, namespace: 'default', boxes: [contactBox(innerCredential('other'))] }),
      code: 'SEALED_MALFORMED',
      why: "an inner envelope must carry its outer envelope's namespace",
    },
    {
      name: 'inner envelope of version 1',
      namespace: 'default',
      payload: handPayload(contactData, { version: 2, namespace: 'default', boxes: [contactBox(innerCredential('default', 1))] }),
      code: 'SEALED_MALFORMED',
      why: 'inner envelopes are version 2',
    },
    {
      name: 'inner envelopes 65 deep',
      namespace: 'default',
      payload: handPayload('"[sealed:phi:phi-2026]"', nestedChain(65)),
      code: 'SEALED_TOO_DEEP',
      why: 'at most 64 levels of inner envelopes',
    },
    // Step 8: merging.
    {
      name: 'field path not in data',
      namespace: 'default',
      payload: handPayload('{"ssn":"[sealed:phi:phi-2026]"}', onePhiBox([['/nope', false]], '["x"]')),
      code: 'SEALED_MALFORMED',
      why: 'a pointer must lead to an existing member',
    },
    {
      name: 'forbidden key in a field path',
      namespace: 'default',
      payload: handPayload('{"constructor":"[sealed:phi:phi-2026]"}', onePhiBox([['/constructor', false]], '["x"]')),
      code: 'SEALED_FORBIDDEN_KEY',
      why: '__proto__, constructor and prototype are refused in paths',
    },
  ];
  const negative = [];
  for (const n of negatives) {
    const { stage, code } = await refusedBy(n);
    if (code !== n.code) throw new Error(`negative vector "${n.name}": expected ${n.code}, the library says ${code}`);
    negative.push({ name: n.name, namespace: n.namespace, payload: wire(n.payload), code: n.code, refusedBy: stage, why: n.why });
  }

  const doc = {
    format: 'temporal-sealed-fields envelope v2',
    about:
      'docs/FORMAT.md. Positive vectors: seal "input" with "nonces" in "namespace" to get "sealed"; open it to get "fields" (depth first) and "decoded" (a Secret is {"$secret": purpose, "subject"?: id, "value": ...}). Negative vectors: a reader in "namespace" ("" = none) with "keys" must refuse "payload" with "code". A box with an empty wrapped key opens with "keys" by key id; a vector with "keySource": "kmsDataKeys" was sealed under a data key that AWS KMS (a KMS API server) generated and wrapped: its boxes carry that wrapped key, and a reader opens them with the "dataKey" that "kmsDataKeys" gives for that key id and wrapped key (no KMS needed). A vector with "keySource": "subjectKeys" was sealed under the key of a data subject: its boxes carry 0x02 and the subject hash (HMAC-SHA-256 under "subjectIndexKey", docs/FORMAT.md), their JSON arrays end with the subject id, and a reader opens them with the "key" that "subjectKeys" gives for that subject hash, purpose and key id (what a key store holds; no store needed).',
    keys: KEYS,
    purposeKeys: PURPOSE_KEYS,
    active: 'k1',
    kmsDataKeys: [KMS_DATA_KEY],
    subjectKeys: [SUBJECT_KEY],
    sensitivePositions: SENSITIVE_POSITIONS,
    vectors,
    negative,
  };
  writeFileSync(join(__dirname, '..', 'test', 'vectors', 'v2.json'), `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`test/vectors/v2.json: ${vectors.length} vectors, ${negative.length} negative vectors`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

import {
  defaultPayloadConverter,
  type ConverterHint,
  type Payload,
  type PayloadCodec,
  type PayloadConverter,
  type SerializationContext,
} from '@temporalio/common';
import { createSealedPayloadConverter } from '../src';
import { AwsKmsKeySource, Keyring, SealingCodec, SubjectKeys } from '../src/codec';
import { FileSubjectKeyStore } from '../src/keystore';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKmsServer, type KmsServer } from '../test/support/kms-server';
import {
  Claim,
  intakeSchema,
  PatientIntake,
  PatientRecord,
  SUBJECT_ZOD_SCHEMA_NAME,
  SubjectClaim,
  SubjectIntake,
  subjectIntakeSchema,
  SubjectRecord,
  ZOD_SCHEMA_NAME,
} from './fixtures';
import { AesGcmWholeCodec, SodiumWholeCodec } from './whole-payload-codecs';

export const PIPELINE_NAMES = ['json', 'aesgcm-whole', 'sodium-whole', 'sealed', 'kms', 'subject'] as const;
export type PipelineName = (typeof PIPELINE_NAMES)[number];

/** A converter and a codec, driven the way the SDK drives them: encode = toPayload + codec.encode; decode = codec.decode + fromPayload. */
export interface Pipeline {
  name: PipelineName;
  encode(value: unknown, hint?: ConverterHint): Promise<Payload>;
  decode(payload: Payload, hint?: ConverterHint): Promise<unknown>;
}

const CONTEXT: SerializationContext = { type: 'workflow', namespace: 'default', workflowId: 'bench-workflow' };

/** No codec: payloads pass through with the same `await` every other pipeline pays. */
const passThroughCodec: PayloadCodec = {
  encode: async (payloads) => payloads,
  decode: async (payloads) => payloads,
};

function pipeline(name: PipelineName, converter: PayloadConverter, codec: PayloadCodec): Pipeline {
  return {
    name,
    async encode(value, hint) {
      const [payload] = await codec.encode([converter.toPayload(value, CONTEXT, hint)], CONTEXT);
      return payload as Payload;
    },
    async decode(payload, hint) {
      const [opened] = await codec.decode([payload], CONTEXT);
      return converter.fromPayload(opened as Payload, CONTEXT, hint);
    },
  };
}

function randomKey(): Uint8Array {
  return Keyring.generateKey();
}

let kmsServer: Promise<KmsServer> | undefined;

/**
 * The `kms` pipeline: the sealed converter and codec with the AWS KMS key source against a real
 * KMS API on loopback (moto, started once per process; it stops with the process). Its data key
 * is generated once and cached, as in a worker: what is timed is the hot path, no KMS call.
 */
async function kmsCodec(): Promise<SealingCodec> {
  kmsServer ??= startKmsServer();
  const kms = await kmsServer;
  const kmsKeyId = await kms.createKey('bench');
  const keys = await AwsKmsKeySource.create({
    kmsKeyId,
    endpoint: kms.endpoint,
    region: kms.region,
    credentials: kms.credentials,
    dataKeyMaxUses: 1e9,
    dataKeyMaxAgeMs: 24 * 3600_000,
  });
  return SealingCodec.create({ keys });
}

/**
 * The `subject` pipeline: per-data-subject keys (SubjectKeys over a keyring) in the embedded file
 * store, in a temp dir. Its subject's key is created on the first payload and cached, as in a
 * worker: what is timed is the hot path, no store call.
 */
async function subjectCodec(): Promise<SealingCodec> {
  const store = await FileSubjectKeyStore.create({ directory: mkdtempSync(join(tmpdir(), 'bench-subject-keys-')) });
  const keyring = new Keyring({ active: 'bench-1', keys: { 'bench-1': randomKey() } });
  const keys = new SubjectKeys({ keys: keyring, store, subjectIndexKey: randomKey() });
  return SealingCodec.create({ keys });
}

/** The named pipelines (all six by default), each with its own fresh key; `kms` starts a KMS API server. */
export async function createPipelines(names: readonly PipelineName[] = PIPELINE_NAMES): Promise<Partial<Record<PipelineName, Pipeline>>> {
  const sealedConverter = createSealedPayloadConverter({
    types: [PatientIntake, Claim, PatientRecord],
    schemas: { [ZOD_SCHEMA_NAME]: intakeSchema },
  });
  const subjectConverter = createSealedPayloadConverter({
    types: [SubjectIntake, SubjectClaim, SubjectRecord],
    schemas: { [SUBJECT_ZOD_SCHEMA_NAME]: subjectIntakeSchema },
  });
  const makers: Record<PipelineName, () => Promise<Pipeline>> = {
    json: async () => pipeline('json', defaultPayloadConverter, passThroughCodec),
    'aesgcm-whole': async () => pipeline('aesgcm-whole', defaultPayloadConverter, await AesGcmWholeCodec.create('bench-1', randomKey())),
    'sodium-whole': async () => pipeline('sodium-whole', defaultPayloadConverter, await SodiumWholeCodec.create('bench-1', randomKey())),
    sealed: async () =>
      pipeline(
        'sealed',
        sealedConverter,
        await SealingCodec.create({ keyring: new Keyring({ active: 'bench-1', keys: { 'bench-1': randomKey() } }) }),
      ),
    kms: async () => pipeline('kms', sealedConverter, await kmsCodec()),
    subject: async () => pipeline('subject', subjectConverter, await subjectCodec()),
  };
  const built: Partial<Record<PipelineName, Pipeline>> = {};
  for (const name of names) built[name] = await makers[name]();
  return built;
}

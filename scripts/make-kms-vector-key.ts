// Writes test/vectors/v2-kms-data-key.json: one data key from a real KMS API (moto's server,
// started here), wrapped under a KMS key with the encryption context the AWS KMS key source
// uses. scripts/make-vectors-v2.ts seals a vector under it, and test/unit/vectors.test.ts opens
// that vector with the data key given in the file (no KMS needed). Run once:
// `npx tsx scripts/make-kms-vector-key.ts`; rerunning draws a new data key (KMS data keys are random),
// so the KMS vector changes too.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AwsKmsKeySource, encryptionContext } from '../src/codec/kms/aws-kms-key-source';
import { readWrappedKey } from '../src/codec/kms/wrapped-key';
import { startKmsServer } from '../test/support/kms-server';

const scope = { namespace: 'default', purpose: 'phi' };

async function main(): Promise<void> {
  const kms = await startKmsServer();
  try {
    const kmsKeyArn = await kms.createKey('sealed-fields test vectors');
    const source = await AwsKmsKeySource.create({
      kmsKeyId: kmsKeyArn,
      endpoint: kms.endpoint,
      region: kms.region,
      credentials: kms.credentials,
    });
    const { keyId, key, wrapped } = await source.sealingKey(scope);
    const { ciphertextBlob } = readWrappedKey(wrapped);
    const file = {
      description:
        'A data key from GenerateDataKey (KeySpec AES_256) of a KMS API server (moto), and its wrapped form as a v2 box carries it. The vector "a value sealed under a KMS-wrapped data key" of v2.json uses it; readers open it with dataKey, no KMS needed.',
      kmsKeyArn,
      keyId,
      ...scope,
      encryptionContext: encryptionContext({ ...scope, keyId }),
      dataKey: Buffer.from(key).toString('hex'),
      ciphertextBlob: Buffer.from(ciphertextBlob).toString('base64'),
      wrappedKey: Buffer.from(wrapped).toString('hex'),
    };
    writeFileSync(join(__dirname, '..', 'test', 'vectors', 'v2-kms-data-key.json'), `${JSON.stringify(file, null, 2)}\n`);
    source.destroy();
  } finally {
    await kms.teardown();
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

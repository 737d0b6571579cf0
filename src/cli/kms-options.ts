import { AwsKmsKeySource, type AwsKmsKeySourceOptions } from '../codec/kms/aws-kms-key-source';
import type { KeySource } from '../codec/key-source';
import { SealedError } from '../errors';
import { listFlag, stringFlag, type Parsed } from './args';
import { usageError } from './io';

/**
 * The KMS flags of `keys check`, `decode` and `serve` (the same on each). With `--kms-key-id`
 * the command uses the AWS KMS key source; credentials come from the AWS SDK's default chain
 * (environment, profile, IAM role), never from a flag.
 *
 *   --kms-key-id ID          KMS key (ARN, key id or alias) that wraps data keys; also trusted for opening
 *   --kms-key-rule NS/P=ID   a per-namespace or per-purpose key ("tenant-a/*=arn:...", "*\/credential=alias/c"); repeatable
 *   --kms-open-key ID        another KMS key whose data keys may be opened (an old key); repeatable; "*" for any
 *   --kms-region REGION      AWS region (else AWS_REGION)
 *   --kms-endpoint URL       KMS endpoint (a local KMS API, a VPC endpoint)
 */
export const KMS_FLAGS = {
  'kms-key-id': { type: 'string' },
  'kms-key-rule': { type: 'string', multiple: true },
  'kms-open-key': { type: 'string', multiple: true },
  'kms-region': { type: 'string' },
  'kms-endpoint': { type: 'string' },
} as const;

export const KMS_FLAGS_HELP = `  --kms-key-id ID          use AWS KMS: the KMS key (ARN, key id or alias) that wraps data keys
  --kms-key-rule NS/P=ID   a KMS key per namespace/purpose ("tenant-a/*=ARN", "*/credential=ARN"); repeatable
  --kms-open-key ID        another KMS key whose data keys may be opened (an old one); repeatable; "*": any
  --kms-region REGION      AWS region (default: AWS_REGION)
  --kms-endpoint URL       KMS endpoint, e.g. a local KMS API
  (AWS credentials come from the SDK's default chain: environment, profile, IAM role)`;

/** The AWS KMS source options the flags give, or undefined when no KMS flag was given. */
export function kmsOptionsOf(parsed: Parsed): AwsKmsKeySourceOptions | undefined {
  const keyId = stringFlag(parsed, 'kms-key-id');
  const rules = listFlag(parsed, 'kms-key-rule');
  const open = listFlag(parsed, 'kms-open-key');
  const region = stringFlag(parsed, 'kms-region');
  const endpoint = stringFlag(parsed, 'kms-endpoint');
  if (keyId === undefined) {
    if (rules.length > 0 || open.length > 0 || region !== undefined || endpoint !== undefined)
      throw usageError('the --kms-* flags need --kms-key-id');
    return undefined;
  }
  const ruleMap: Record<string, string> = {};
  for (const rule of rules) {
    const at = rule.indexOf('=');
    const name = rule.slice(0, at);
    if (at <= 0 || !/^[^/=]+\/[^/=]+$/.test(name) || at === rule.length - 1)
      throw usageError('--kms-key-rule must look like NAMESPACE/PURPOSE=KMS_KEY (either side may be *)');
    ruleMap[name] = rule.slice(at + 1);
  }
  return {
    kmsKeyId: rules.length > 0 ? { default: keyId, rules: ruleMap } : keyId,
    ...(open.length > 0 && { openKmsKeys: open.includes('*') ? '*' : open }),
    ...(region !== undefined && { region }),
    ...(endpoint !== undefined && { endpoint }),
  };
}

/** The flags with the KMS region filled in: `--kms-region`, else AWS_REGION or AWS_DEFAULT_REGION; none is a usage error. */
export function withKmsRegion(parsed: Parsed, env: Record<string, string | undefined>): Parsed {
  const region = stringFlag(parsed, 'kms-region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (region === undefined) throw usageError('the KMS region is not set: give --kms-region or set AWS_REGION');
  return { ...parsed, values: { ...parsed.values, 'kms-region': region } };
}

/** The AWS KMS key source of the flags (boxes under static keys open with `staticKeys`), or undefined without KMS flags. */
export async function kmsSourceOf(parsed: Parsed, staticKeys?: KeySource): Promise<AwsKmsKeySource | undefined> {
  const options = kmsOptionsOf(parsed);
  if (options === undefined) return undefined;
  try {
    return await AwsKmsKeySource.create({ ...options, ...(staticKeys !== undefined && { staticKeys }) });
  } catch (err) {
    throw usageError(`cannot set up the KMS key source (${SealedError.is(err) ? err.code : 'unknown error'})`);
  }
}

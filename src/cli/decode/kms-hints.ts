/**
 * What to do about a key fetch failure that left boxes sealed, as `decode` prints it; `undefined`
 * when there is nothing more specific to say than the code. `kmsKeyId` is the KMS key the failure
 * names (already checked against the KMS key grammar).
 */
export function fetchFailureHint(code: string, kmsKeyId: string | undefined): string | undefined {
  const key = kmsKeyId ?? '<arn>';
  switch (code) {
    case 'SEALED_KMS_KEY_NOT_ALLOWED':
      return `this reader does not trust KMS key ${key}: if it is yours, add --kms-open-key ${key}`;
    case 'SEALED_KMS_KEY_DISABLED':
      return `KMS key ${key} is disabled, pending deletion or not found: check the ARN, or enable the key (aws kms enable-key)`;
    case 'SEALED_KMS_ACCESS_DENIED':
      return `KMS refused the call on ${key}: check the AWS credentials (the SDK's default chain) and kms:Decrypt in the IAM and key policies`;
    case 'SEALED_KMS_UNAVAILABLE':
      return 'KMS did not answer: check --kms-endpoint, --kms-region and the network, then run decode again';
    case 'SEALED_KMS_THROTTLED':
      return 'KMS throttled the calls: run decode again later';
    case 'SEALED_KMS_CONTEXT_MISMATCH':
      return 'KMS refused to unwrap the data key for this box (a moved or altered payload): treat it as tampering';
    default:
      return undefined;
  }
}

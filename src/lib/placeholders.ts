/** What a sealed field shows in `data` before the codec names the key: `[sealed:phi]`. */
export function pendingPlaceholder(purpose: string): string {
  return `[sealed:${purpose}]`;
}

/** What a sealed field shows once sealed: `[sealed:phi:k2]`. */
export function sealedPlaceholder(purpose: string, keyId: string): string {
  return `[sealed:${purpose}:${keyId}]`;
}

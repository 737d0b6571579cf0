// Security review: key material must never reach an error message or detail, even when an operator swaps id and key.
import { inspect } from 'node:util';
import { expect, test } from 'vitest';
import { Keyring } from '../../src/codec';

const material = Buffer.from(Keyring.generateKey()).toString('base64url'); // 43 chars, also a valid key id

function errorText(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    return `${String(err)} ${JSON.stringify((err as { detail?: unknown }).detail)} ${inspect(err)}`;
  }
  throw new Error('expected a failure');
}

test('review-keyring-detail: a key given where a key id belongs (id and key swapped) is not echoed in the error detail', () => {
  const swappedEnv = { SEALED_FIELDS_KEYS: `${material}:k1`, SEALED_FIELDS_ACTIVE_KEY: 'k1' };
  expect(errorText(() => Keyring.fromEnv(swappedEnv))).not.toContain(material);
  const key = Keyring.generateKey();
  expect(errorText(() => new Keyring({ active: material, keys: { k1: key } }))).not.toContain(material);
  expect(errorText(() => new Keyring({ active: 'k1', keys: { k1: key }, purposes: { phi: material } }))).not.toContain(material);
  // Ordinary ids are still named, so operators can act on the error.
  expect(errorText(() => new Keyring({ active: 'k9', keys: { k1: key } }))).toContain('k9');
});

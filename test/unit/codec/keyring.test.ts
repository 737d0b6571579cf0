import { inspect } from 'node:util';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Keyring } from '../../../src/codec';
import { codeOf, thrownBy } from '../../support/errors';

const keyB64 = Buffer.from(Keyring.generateKey()).toString('base64');
const otherB64 = Buffer.from(Keyring.generateKey()).toString('base64');

/** All an error shows a user or a log: text, message, detail and `util.inspect`. */
function errorText(err: unknown): string {
  return `${String(err)} ${(err as Error).message} ${JSON.stringify((err as { detail?: unknown }).detail)} ${inspect(err)}`;
}

describe('Keyring', () => {
  test('reads keys from the environment', () => {
    const ring = Keyring.fromEnv({
      SEALED_FIELDS_KEYS: `k1:${keyB64},k2:${otherB64}`,
      SEALED_FIELDS_ACTIVE_KEY: 'k2',
      SEALED_FIELDS_PURPOSE_KEYS: 'phi:k1',
    });
    expect(ring.describe()).toEqual({ active: 'k2', keyIds: ['k1', 'k2'], purposes: { phi: 'k1' } });
    expect(ring.keyIdFor('phi')).toBe('k1');
    expect(ring.keyIdFor('credential')).toBe('k2');
    expect(Buffer.from(ring.key('k1')).toString('base64')).toBe(keyB64);
  });

  test('a single key is active without naming it', () => {
    expect(Keyring.fromEnv({ SEALED_FIELDS_KEYS: `only:${keyB64}` }).describe().active).toBe('only');
  });

  test('reads a JSON keyring file', () => {
    const file = join(tmpdir(), `keyring-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ active: 'a', keys: { a: keyB64 } }));
    expect(Keyring.fromFile(file).has('a')).toBe(true);
    expect(codeOf(() => Keyring.fromFile(`${file}.missing`))).toBe('SEALED_INVALID_OPTION');
  });

  test('accepts URL-safe base64 and raw bytes', () => {
    const raw = Keyring.generateKey();
    const urlSafe = Buffer.from(raw).toString('base64url');
    expect(new Keyring({ active: 'a', keys: { a: urlSafe, b: raw } }).key('a')).toEqual(raw);
  });

  test('refuses wrong lengths, bad base64, bad ids, a missing active key and duplicate ids', () => {
    expect(codeOf(() => new Keyring({ active: 'a', keys: { a: new Uint8Array(16) } }))).toBe('SEALED_KEY_INVALID');
    expect(codeOf(() => new Keyring({ active: 'a', keys: { a: 'not base64!' } }))).toBe('SEALED_KEY_INVALID');
    expect(codeOf(() => new Keyring({ active: 'bad id', keys: { 'bad id': keyB64 } }))).toBe('SEALED_INVALID_OPTION');
    expect(codeOf(() => new Keyring({ active: 'b', keys: { a: keyB64 } }))).toBe('SEALED_INVALID_OPTION');
    expect(codeOf(() => Keyring.fromEnv({ SEALED_FIELDS_KEYS: `a:${keyB64},a:${otherB64}`, SEALED_FIELDS_ACTIVE_KEY: 'a' }))).toBe(
      'SEALED_INVALID_OPTION',
    );
    expect(codeOf(() => Keyring.fromEnv({}))).toBe('SEALED_INVALID_OPTION');
  });

  test('with SEALED_FIELDS_KEYS unset, the error says a KMS-only setup needs no keyring (staticKeys is for a move to KMS)', () => {
    const missing = thrownBy(() => Keyring.fromEnv({}));
    expect(codeOf(() => Keyring.fromEnv({}))).toBe('SEALED_INVALID_OPTION');
    expect((missing as Error).message).toMatch(
      /^SEALED_FIELDS_KEYS is not set: .*AWS KMS alone, no keyring is needed: staticKeys: Keyring\.fromEnv\(\) is only for a move to KMS/,
    );
    expect((thrownBy(() => Keyring.fromEnv({}, 'APP')) as Error).message).toMatch(/^APP_KEYS is not set/);
  });

  test('never shows key material when printed, logged or serialized', () => {
    const ring = new Keyring({ active: 'a', keys: { a: keyB64 } });
    for (const text of [inspect(ring, { showHidden: true, depth: 9 }), JSON.stringify(ring), String(ring)]) {
      expect(text).not.toContain(keyB64);
      expect(text).not.toContain(keyB64.slice(0, 12));
    }
  });

  test('error messages about keys never contain the key', () => {
    const err = thrownBy(() => new Keyring({ active: 'a', keys: { a: keyB64.slice(0, 20) } }));
    expect(err).toMatchObject({ code: 'SEALED_KEY_INVALID' });
    expect(errorText(err)).not.toContain(keyB64.slice(0, 20));
  });

  test('a key given where a key id belongs (id and key swapped) is not echoed in the error', () => {
    const material = Buffer.from(Keyring.generateKey()).toString('base64url'); // 43 characters, also a valid key id
    const key = Keyring.generateKey();
    const swappedEnv = { SEALED_FIELDS_KEYS: `${material}:k1`, SEALED_FIELDS_ACTIVE_KEY: 'k1' };
    expect(errorText(thrownBy(() => Keyring.fromEnv(swappedEnv)))).not.toContain(material);
    expect(errorText(thrownBy(() => new Keyring({ active: material, keys: { k1: key } })))).not.toContain(material);
    expect(errorText(thrownBy(() => new Keyring({ active: 'k1', keys: { k1: key }, purposes: { phi: material } })))).not.toContain(
      material,
    );
    // Ordinary ids are still named, so operators can act on the error.
    expect(errorText(thrownBy(() => new Keyring({ active: 'k9', keys: { k1: key } })))).toContain('k9');
  });

  test('generated keys and key ids are random', () => {
    expect(Keyring.generateKey()).toHaveLength(32);
    expect(Keyring.generateKey()).not.toEqual(Keyring.generateKey());
    expect(Keyring.generateKeyId()).toMatch(/^k-[0-9a-f]{8}$/);
  });
});

test('the key a caller gets is a copy: changing it leaves the ring intact', () => {
  const ring = new Keyring({ active: 'a', keys: { a: keyB64 } });
  ring.key('a').fill(0);
  expect(Buffer.from(ring.key('a')).toString('base64')).toBe(keyB64);
});

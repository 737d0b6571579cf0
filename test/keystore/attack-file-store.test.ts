// Attacks on the embedded file store (docs/ERASURE.md, "The file store"), beyond file-store.test.ts.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { FileSubjectKeyStore } from '../../src/keystore';
import { codeOfAsync } from '../support/errors';

const base = mkdtempSync(path.join(os.tmpdir(), 'sealed-filestore-attack-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** The uid and gid of `nobody`, when this runs as root (CI does) and the user exists; undefined otherwise. */
function nobody(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim());
    return uid > 0 ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

const other = nobody();

describe('FileSubjectKeyStore under attack', () => {
  // Finding (medium where it applies): create() checked that the directory's mode lets no one but
  // its owner in, not who the owner is. A service running as root (containers often do) pointed at a
  // path another local user could create first (under /tmp, /var/tmp, a shared volume) accepted that
  // user's 0700 directory. The store's folders in it are root's, but their names are the owner's:
  // moving `subjects` aside (and making a new one) took every tombstone away, undoing the "no key is
  // ever made for this subject again" of each forget (new values of forgotten subjects were sealed
  // and readable again) and making every subject's values unreadable; the audit log could be
  // removed, or planted as a symlink that root then appends to. Fixed: the directory must belong to the user
  // the process runs as (or to root), as OpenSSH's StrictModes asks of ~/.ssh.
  test.skipIf(other === undefined)('a directory owned by another user is refused, though it is 0700', async () => {
    const who = other as { uid: number; gid: number };
    const parent = path.join(base, 'shared');
    mkdirSync(parent, { mode: 0o755 });
    chmodSync(base, 0o755);
    chmodSync(parent, 0o755);
    const planted = path.join(parent, 'subject-keys');
    mkdirSync(planted, { mode: 0o700 });
    chownSync(planted, who.uid, who.gid); // made first by the other user

    const refused = await codeOfAsync(() => FileSubjectKeyStore.create({ directory: planted }));
    if (refused === undefined) {
      // What the directory's owner can do once root uses it: take a forget back.
      const store = await FileSubjectKeyStore.create({ directory: planted });
      const subjectHash = randomBytes(32).toString('base64url');
      await store.forget(subjectHash, { actor: 'dpo' });
      const hex = Buffer.from(subjectHash, 'base64url').toString('hex');
      const tombstone = path.join(planted, 'subjects', hex.slice(0, 2), hex, 'erased');
      // The store's own folders are root's and 0700, but their names are in the owner's directory.
      const asOwner = (...command: string[]) =>
        execFileSync('setpriv', [`--reuid=${who.uid}`, `--regid=${who.gid}`, '--clear-groups', ...command], { cwd: planted });
      asOwner('mv', 'subjects', '.old');
      asOwner('mkdir', 'subjects');
      expect(existsSync(tombstone)).toBe(false);
      const again = await store.putIfAbsent({
        subjectHash,
        purpose: 'phi',
        keyId: 'sk-resurrected',
        wrappedKey: randomBytes(72),
        createdAt: new Date(),
      });
      expect(again.keyId).toBe('sk-resurrected'); // a key made for a forgotten subject: the attack worked
    }
    expect(refused).toBe('SEALED_INVALID_OPTION');
  });

  test('a directory of its own (or a new one) is still accepted', async () => {
    const mine = path.join(base, 'mine');
    mkdirSync(mine, { mode: 0o700 });
    await expect(FileSubjectKeyStore.create({ directory: mine })).resolves.toBeInstanceOf(FileSubjectKeyStore);
    await expect(FileSubjectKeyStore.create({ directory: path.join(base, 'new', 'store') })).resolves.toBeInstanceOf(FileSubjectKeyStore);
  });
});

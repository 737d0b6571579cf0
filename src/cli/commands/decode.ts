import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Payload } from '@temporalio/common';
import type { Keyring } from '../../codec/keyring';
import type { AwsKmsKeySource } from '../../codec/kms/aws-kms-key-source';
import { boolFlag, listFlag, noteRenamed, parseFlags, stringFlag, type Parsed } from '../args';
import type { Command } from '../command';
import { EXIT, inputError, line, printHelp, usageError, type CliIo } from '../io';
import { KEYRING_ALIASES, KEYRING_FLAGS, keyringSourceOf, loadKeyring, noKeyringSet, noKeysMessage } from '../keyring-source';
import { fetchFailureHint } from '../decode/kms-hints';
import { openDocument, type OpenSummary } from '../decode/open-document';
import { SealedOpener } from '../history/open-sealed';
import { type JsonPayload, mapJsonPayloads, payloadFromJson } from '../history/payloads';
import { KMS_FLAGS, KMS_FLAGS_HELP, kmsSourceOf, withKmsRegion } from '../kms-options';
import { SUBJECT_STORE_FLAGS, SUBJECT_STORE_FLAGS_HELP, subjectSetupOf, type SubjectSetup } from '../subject-store';

const HELP = `Usage: sealed-fields decode FILE|- [--keyring FILE] [--kms-key-id ID [--kms-open-key ID]...] [--purpose P]... [--redact] [--detailed]

Reads an event history as exported by "temporal workflow show --output json" (or the
proto3 JSON of Payloads, {"payloads":[...]}) from FILE or stdin, opens the sealed fields
whose key id is in the keyring (loaded like workers do: SEALED_FIELDS_* environment, or
--keyring FILE) or, with the --kms-* flags, whose data key AWS KMS unwraps, at every
level: values sealed inside a sealed value open too when their key is held. It merges them
into the data and prints the document with every payload shown decoded. Fields under keys
it does not hold keep their "[sealed:purpose:keyId]" placeholder ("[sealed:purpose]" inside
a sealed value) and are listed as left sealed; when fetching a key failed (a KMS key this
reader does not trust, disabled, access denied...), the summary on stderr and --detailed
give the code (reason) and what to do (hint, e.g. --kms-open-key ARN).
A sealed or sealed-pending payload labelled with an encoding other than json/plain is
refused (SEALED_TAMPERED / SEALED_NOT_SEALED) and printed as {metadata, error} without
its data. Runs offline: no server, no codec endpoint.

Options:
  --keyring FILE        keyring JSON file instead of the environment
  --env-prefix PREFIX   environment variable prefix (default SEALED_FIELDS; was --prefix)
  --purpose P           open only this purpose (repeatable; a value sealed inside a sealed
                        value opens only when its container's purpose is named too)
  --redact              open nothing: show placeholders (no keyring needed)
  --detailed            show each payload as {metadata, sealed, data} instead of its data alone
                        (sealed: the top-level boxes, and inner boxes left sealed, marked nested;
                        with kmsKeyArn for KMS data keys, and reason and hint when a key fetch failed)
  --quiet               no summary on stderr
  -h, --help            this help

Keys from AWS KMS (boxes with a wrapped data key; the keyring, when named or set, opens the others):
${KMS_FLAGS_HELP}

Data subject keys (docs/ERASURE.md): with a subject key store, boxes sealed under a data
subject's key open too (their key is unwrapped with the keyring or KMS flags), and the fields
of a forgotten subject show "[erased:<purpose>]"; everything else is unaffected.
${SUBJECT_STORE_FLAGS_HELP}

Exit codes: 0 done, 1 a payload failed to open (tampered, relabelled, wrong key), was written
without the codec (sealed-pending), or its keys could not be fetched (KMS, key store; also
boxes under data subject keys, sk-..., without --subject-store), 2 bad
arguments or keyring, 3 cannot read the input or it is not JSON, or cannot reach the subject
key store.`;

const OPTIONS = {
  ...KEYRING_FLAGS,
  ...KMS_FLAGS,
  ...SUBJECT_STORE_FLAGS,
  purpose: { type: 'string', multiple: true },
  redact: { type: 'boolean' },
  detailed: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(args, OPTIONS, true, KEYRING_ALIASES);
  if (boolFlag(parsed, 'help')) return printHelp(io, HELP);
  noteRenamed(io, 'decode', parsed);
  if (parsed.positionals.length !== 1) throw usageError('usage: sealed-fields decode FILE|- (see --help)');
  const redact = boolFlag(parsed, 'redact');
  const withKms = !redact && stringFlag(parsed, 'kms-key-id') !== undefined;
  // With KMS, a keyring is optional: loaded when named or set in the environment.
  const keyringSource = keyringSourceOf(parsed);
  const withKeyring = !redact && (!withKms || keyringSource.file !== undefined || io.env[`${keyringSource.prefix}_KEYS`] !== undefined);
  if (withKeyring && !withKms && noKeyringSet(keyringSource, io))
    throw usageError(`${noKeysMessage(keyringSource)} (--redact opens nothing and needs none)`);
  const keyring = withKeyring ? loadKeyring(keyringSource, io) : undefined;
  const kms = withKms ? await kmsSourceOf(withKmsRegion(parsed, io.env), keyring) : undefined;
  let subjects: SubjectSetup | undefined;
  try {
    // The keys of subject boxes are warmed before they are opened: keep them for the whole command.
    const setup = { createTables: false, probe: true, defaultCacheTtlMs: 600_000 };
    subjects = redact ? undefined : await subjectSetupOf(parsed, io, keyringSource.prefix, kms ?? keyring, setup);
    return await decode(parsed, io, keyring, kms, subjects);
  } finally {
    kms?.destroy();
    await subjects?.close();
  }
}

async function decode(
  parsed: Parsed,
  io: CliIo,
  keyring: Keyring | undefined,
  kms: AwsKmsKeySource | undefined,
  subjects: SubjectSetup | undefined,
): Promise<number> {
  const doc = parseJson(await readInput(parsed.positionals[0] as string, io));
  const purposes = listFlag(parsed, 'purpose');
  const opener = keyring === undefined && kms === undefined ? undefined : await SealedOpener.create(keyring, kms, subjects?.keys);
  const read = new WeakMap<JsonPayload, Payload>();
  if (opener?.fetchesKeys === true) {
    // Opening below is synchronous: fetch the keys of every sealed payload first (KMS calls, subject key store reads; cached).
    const payloads: Payload[] = [];
    mapJsonPayloads(doc, (json) => {
      const payload = payloadFromJson(json);
      read.set(json, payload);
      payloads.push(payload);
      return json;
    });
    for (const payload of payloads) await opener.warm(payload);
  }
  const { output, summary } = openDocument(doc, {
    opener,
    read,
    purposes: purposes.length > 0 ? new Set(purposes) : undefined,
    detailed: boolFlag(parsed, 'detailed'),
  });
  line(io.stdout, JSON.stringify(output, null, 2));
  if (!boolFlag(parsed, 'quiet')) printSummary(io, summary);
  // Boxes under data subject keys (sk-...) left sealed for want of a subject key store: their keys could not be fetched.
  const wanted = (id: string): boolean => purposes.length === 0 || purposes.includes(id.slice(id.indexOf('/') + 1));
  const subjectBoxes =
    opener === undefined || subjects !== undefined
      ? 0
      : Object.entries(summary.withheld)
          .filter(([id]) => id.startsWith('sk-') && wanted(id))
          .reduce((n, [, count]) => n + count, 0);
  if (subjectBoxes > 0)
    line(
      io.stderr,
      `problem: ${subjectBoxes} boxes are sealed under data subject keys (SEALED_KEY_UNKNOWN): sk-... keys are data subject keys: give --subject-store (or SEALED_FIELDS_SUBJECT_STORE) and the subject index key, as the workers have them`,
    );
  const failed = summary.errors.length > 0 || summary.pending > 0 || Object.keys(summary.fetchFailed).length > 0 || subjectBoxes > 0;
  return failed ? EXIT.problems : EXIT.ok;
}

async function readInput(source: string, io: CliIo): Promise<string> {
  if (source === '-') return readStream(io.stdin);
  try {
    return readFileSync(path.resolve(io.cwd, source), 'utf8');
  } catch {
    throw inputError(`cannot read ${source}`);
  }
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  } catch {
    throw inputError('cannot read stdin');
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw inputError('the input is not JSON (expected "temporal workflow show --output json" or {"payloads":[...]})');
  }
}

function printSummary(io: CliIo, s: OpenSummary): void {
  const withheld = Object.entries(s.withheld).map(([k, n]) => `${k} x${n}`);
  line(
    io.stderr,
    `decoded ${s.payloads} payloads: ${s.sealedPayloads} sealed, ${s.openedFields} fields opened${s.erasedFields > 0 ? `, ${s.erasedFields} erased (data subject forgotten)` : ''}${withheld.length ? `; left sealed: ${withheld.join(', ')}` : ''}`,
  );
  for (const [code, n] of Object.entries(s.fetchFailed)) {
    const kmsKeys = s.fetchFailedKmsKeys[code] ?? [];
    const named = kmsKeys.length > 0 ? `, KMS key ${kmsKeys.join(', ')}` : '';
    line(io.stderr, `problem: the keys of ${n} payloads could not be fetched (${code}${named}): their boxes are left sealed`);
    const hints = (kmsKeys.length > 0 ? kmsKeys : [undefined]).map((kmsKeyId) => fetchFailureHint(code, kmsKeyId));
    for (const hint of new Set(hints)) if (hint !== undefined) line(io.stderr, `  hint: ${hint}`);
  }
  if (s.pending > 0)
    line(
      io.stderr,
      `problem: ${s.pending} payloads carry sealed-pending metadata (written without the SealingCodec; plaintext stored, not shown)`,
    );
  for (const e of s.errors) line(io.stderr, `problem: payload at ${e.pointer} did not open (${e.code})`);
}

/** `sealed-fields decode`: an exported history with its sealed fields opened, offline. */
export const decodeCommand: Command = {
  name: 'decode',
  summary: 'open the sealed fields of an exported history (offline)',
  help: HELP,
  run,
};

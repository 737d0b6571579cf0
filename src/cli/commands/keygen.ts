import { Keyring } from '../../codec/keyring';
import { encodeBase64 } from '../../lib/base64';
import { KEY_ID_PATTERN } from '../../lib/identifiers';
import { boolFlag, parseFlags, stringFlag } from '../args';
import type { Command } from '../command';
import { EXIT, line, printHelp, usageError, type CliIo } from '../io';

const HELP = `Usage: sealed-fields keygen [--id ID] [--format all|base64|env|json] [--index | --subject-index]

Prints a new random 32-byte key to stdout, in the forms the Keyring reads:
  base64   the key alone
  env      SEALED_FIELDS_KEYS=ID:BASE64 and SEALED_FIELDS_ACTIVE_KEY=ID lines
  json     a keyring file for Keyring.fromFile / --keyring
  all      all three, with comments (default)
With --index, prints a blind-index key instead (SEALED_FIELDS_INDEX_KEY=BASE64); with
--subject-index, a data subject index key (SEALED_FIELDS_SUBJECT_INDEX_KEY=BASE64, see
docs/ERASURE.md): a separate key, the same on every worker, codec server and CLI.
The key goes to stdout only; redirect it into your secret store, not a shared log.

Options:
  --id ID       key id (letters, digits, . _ -; default: random k-xxxxxxxx)
  --format F    output form (default all)
  --index       generate a blind-index key (no id)
  --subject-index  generate a data subject index key (no id)
  -h, --help    this help`;

const FORMATS = new Set(['all', 'base64', 'env', 'json']);

async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(args, {
    id: { type: 'string' },
    format: { type: 'string' },
    index: { type: 'boolean' },
    'subject-index': { type: 'boolean' },
  });
  if (boolFlag(parsed, 'help')) return printHelp(io, HELP);
  const format = stringFlag(parsed, 'format') ?? 'all';
  if (!FORMATS.has(format)) throw usageError('--format must be one of all, base64, env, json');
  const key = encodeBase64(Keyring.generateKey());
  if (boolFlag(parsed, 'index') && boolFlag(parsed, 'subject-index')) throw usageError('give --index or --subject-index, not both');
  if (boolFlag(parsed, 'index')) return printIndexKey(io, key, format, 'SEALED_FIELDS_INDEX_KEY');
  if (boolFlag(parsed, 'subject-index')) return printIndexKey(io, key, format, 'SEALED_FIELDS_SUBJECT_INDEX_KEY');
  const id = keyIdFrom(stringFlag(parsed, 'id'));
  const forms = {
    base64: key,
    env: `SEALED_FIELDS_KEYS=${id}:${key}\nSEALED_FIELDS_ACTIVE_KEY=${id}`,
    json: JSON.stringify({ active: id, keys: { [id]: key } }, null, 2),
  };
  if (format !== 'all') {
    line(io.stdout, forms[format as keyof typeof forms]);
    return EXIT.ok;
  }
  line(io.stdout, `# key id ${id}: 32 random bytes, base64`);
  line(io.stdout, forms.base64);
  line(io.stdout, '# environment (to rotate, append ",ID:BASE64" to the existing SEALED_FIELDS_KEYS)');
  line(io.stdout, forms.env);
  line(io.stdout, '# keyring file');
  line(io.stdout, forms.json);
  return EXIT.ok;
}

function keyIdFrom(id: string | undefined): string {
  if (id === undefined) return Keyring.generateKeyId();
  if (!KEY_ID_PATTERN.test(id)) throw usageError(`--id must match ${KEY_ID_PATTERN}`);
  return id;
}

function printIndexKey(io: CliIo, key: string, format: string, variable: string): number {
  line(io.stdout, format === 'base64' ? key : `${variable}=${key}`);
  return EXIT.ok;
}

/** `sealed-fields keygen`: a fresh key, printed to stdout only. */
export const keygenCommand: Command = {
  name: 'keygen',
  summary: 'print a new 32-byte key (base64, env lines, keyring JSON)',
  help: HELP,
  run,
};

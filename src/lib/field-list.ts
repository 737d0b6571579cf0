import { sealedError } from '../errors';
import { utf8Text } from './utf8';

/**
 * The list of sensitive values exchanged between converter and codec, in one JSON document:
 * `{"v":1,"f":[[path, purpose, secretFlag, nestedFlag?], ...],"x":[value, ...]}`, and, when a
 * field belongs to a data subject, `"s":[subjectId or 0, ...]` in the same order. Subject ids
 * travel only where the values do (the hand-off store, an inline list inside the workflow
 * sandbox, the codec's opened list in memory), never in a clear header.
 *
 * @example
 * ```ts
 * const { opened } = await codec.reveal(sealed);
 * opened.paths.forEach((path, i) => console.log(path, opened.purposes[i]));
 * ```
 */
export interface FieldList {
  paths: string[];
  purposes: string[];
  secrets: boolean[];
  values: unknown[];
  /** Fields sealed inside another sealed value (no placeholder of theirs in the clear JSON). */
  nested?: boolean[];
  /** The data subject whose key seals each field (sparse; absent when no field has one). */
  subjects?: Array<string | undefined>;
}

type FieldTuple = [string, string, 0 | 1] | [string, string, 0 | 1, 1];

/**
 * The JSON of `list`, whose values arrive as JSON array texts (the opened boxes' plaintexts, each
 * parsed and counted against its fields already): their elements are joined in order instead of
 * stringifying the values again.
 */
export function fieldListJson(list: FieldList, valueArrays: readonly string[]): string {
  // The nested flag travels too: a payload opened and sent again keeps each nested value inside its container.
  const tuples: FieldTuple[] = list.paths.map((p, i) =>
    list.nested?.[i] === true
      ? [p, list.purposes[i] as string, list.secrets[i] ? 1 : 0, 1]
      : [p, list.purposes[i] as string, list.secrets[i] ? 1 : 0],
  );
  const subjects = list.subjects === undefined ? '' : `,"s":${subjectsJson(list.subjects, list.paths.length)}`;
  return `{"v":1,"f":${JSON.stringify(tuples)},"x":[${valueArrays.map(arrayElementsText).join(',')}]${subjects}}`;
}

function subjectsJson(subjects: ReadonlyArray<string | undefined>, count: number): string {
  const out = new Array<string | 0>(count);
  for (let i = 0; i < count; i++) out[i] = subjects[i] ?? 0;
  return JSON.stringify(out);
}

/** The elements of a JSON array text that JSON.parse accepted as an array: only JSON whitespace can surround its brackets. */
function arrayElementsText(text: string): string {
  return text.trim().slice(1, -1);
}

/** One value the converter hands to the codec for sealing. */
export interface PendingField {
  /** JSON pointer of the placeholder in the clear JSON (or, when nested, inside its container's value). */
  path: string;
  purpose: string;
  /** The value was a `Secret` and decodes back into one. */
  secret: boolean;
  value: unknown;
  /** Sealed inside another sealed value (its placeholder is in that value, not in the clear JSON). */
  nested?: boolean;
  /** The data subject whose key seals it; absent: the purpose's shared key. */
  subject?: string;
}

/**
 * A field list as the converter hands it to the codec in one realm (lib/handoff): the fields, and
 * their values as one JSON array text, taken when the payload was made (a value changed afterwards
 * is not what gets sealed). The codec seals a single box straight from that text, without parsing it.
 */
export interface PendingList extends Omit<FieldList, 'values'> {
  valuesJson: string;
}

/** The converter's fields as a `PendingList`; `stringify` serializes the values (one call). */
export function pendingListOf(fields: readonly PendingField[], stringify: (values: unknown[]) => string | undefined): PendingList {
  const count = fields.length;
  const list: PendingList = {
    paths: new Array<string>(count),
    purposes: new Array<string>(count),
    secrets: new Array<boolean>(count),
    valuesJson: '',
  };
  const values = new Array<unknown>(count);
  for (let i = 0; i < count; i++) {
    const field = fields[i] as PendingField;
    list.paths[i] = field.path;
    list.purposes[i] = field.purpose;
    list.secrets[i] = field.secret;
    values[i] = field.value;
    if (field.nested === true) {
      list.nested ??= [];
      list.nested[i] = true;
    }
    if (field.subject !== undefined) {
      list.subjects ??= new Array<string | undefined>(count);
      list.subjects[i] = field.subject;
    }
  }
  list.valuesJson = stringify(values) as string;
  return list;
}

/** The JSON document of a `PendingList` (the form written inline inside the workflow sandbox, and read by `parseFieldList`). */
export function pendingListJson(list: PendingList): string {
  return fieldListJson(fieldsOfPending(list), [list.valuesJson]);
}

/** The fields of a `PendingList` as a `FieldList` whose values are not parsed (empty: see `pendingValues`). */
export function fieldsOfPending(pending: PendingList): FieldList {
  const list: FieldList = { paths: pending.paths, purposes: pending.purposes, secrets: pending.secrets, values: [] };
  if (pending.nested !== undefined) list.nested = pending.nested;
  if (pending.subjects !== undefined) list.subjects = pending.subjects;
  return list;
}

/** The values of a `PendingList`, parsed and counted against its fields. */
export function pendingValues(list: PendingList): unknown[] {
  let values: unknown;
  try {
    values = JSON.parse(list.valuesJson);
  } catch {
    throw sealedError('SEALED_MALFORMED', 'sealed field list is not valid JSON');
  }
  if (!Array.isArray(values) || values.length !== list.paths.length)
    throw sealedError('SEALED_MALFORMED', 'sealed field list has an unknown shape');
  return values;
}

export function parseFieldList(source: Uint8Array | string): FieldList {
  let doc: { v?: unknown; f?: unknown; x?: unknown; s?: unknown };
  try {
    // A list claimed from the hand-off store is text already: no encode-then-decode round trip.
    doc = JSON.parse(typeof source === 'string' ? source : utf8Text(source)) as typeof doc;
  } catch {
    throw sealedError('SEALED_MALFORMED', 'sealed field list is not valid JSON');
  }
  if (doc?.v !== 1 || !Array.isArray(doc.f) || !Array.isArray(doc.x) || doc.f.length !== doc.x.length) {
    throw sealedError('SEALED_MALFORMED', 'sealed field list has an unknown shape');
  }
  const list: FieldList = { paths: [], purposes: [], secrets: [], values: doc.x };
  for (const tuple of doc.f as unknown[]) {
    if (!Array.isArray(tuple) || typeof tuple[0] !== 'string' || typeof tuple[1] !== 'string') {
      throw sealedError('SEALED_MALFORMED', 'sealed field list has an unknown shape');
    }
    list.paths.push(tuple[0]);
    list.purposes.push(tuple[1]);
    list.secrets.push(tuple[2] === 1);
    if (tuple[3] === 1) {
      list.nested ??= [];
      list.nested[list.paths.length - 1] = true;
    }
  }
  if (doc.s !== undefined) list.subjects = parseSubjects(doc.s, list.paths.length);
  return list;
}

/** The `s` array: one entry per field, a non-empty subject id or 0 (none). */
function parseSubjects(s: unknown, count: number): Array<string | undefined> {
  if (!Array.isArray(s) || s.length !== count) throw sealedError('SEALED_MALFORMED', 'sealed field list has an unknown shape');
  const subjects = new Array<string | undefined>(count);
  for (let i = 0; i < count; i++) {
    const subject: unknown = s[i];
    if (typeof subject === 'string' && subject !== '') subjects[i] = subject;
    else if (subject !== 0) throw sealedError('SEALED_MALFORMED', 'sealed field list has an unknown shape');
  }
  return subjects;
}

import { sealedError } from '../errors';
import type { FieldList } from '../lib/field-list';
import { sealTag, tagSubject } from '../lib/seal-tag';
import { checkPurpose } from '../model/purpose';

/**
 * The fields at `indexes` by tag (lib/seal-tag: the purpose, and the data subject when a field
 * has one): one box each. Purposes are checked once per distinct tag (per field when subjects are named).
 */
export function groupByPurpose(list: FieldList, indexes: readonly number[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  const subjects = list.subjects;
  for (const i of indexes) {
    const purpose = list.purposes[i] as string;
    const tag = subjects === undefined ? purpose : sealTag(purpose, subjects[i]);
    const group = groups.get(tag);
    // With subjects, a purpose holding the tag separator could join another's group: check each then.
    if (group === undefined || subjects !== undefined) checkPurpose(purpose);
    if (group !== undefined) group.push(i);
    else groups.set(tag, [i]);
  }
  return groups;
}

/**
 * The tree of sealed values: for each field, the nested fields whose nearest container it is
 * (key -1: the top level). The converter lists a container before what it holds, so the
 * container of a nested field is the nearest earlier field whose path is a prefix of its path.
 */
export function childrenOf(list: FieldList): Map<number, number[]> {
  const children = new Map<number, number[]>([[-1, []]]);
  list.paths.forEach((path, i) => {
    const parent = list.nested?.[i] === true ? containerOf(list.paths, i) : -1;
    if (parent === undefined) throw sealedError('SEALED_MALFORMED', 'a nested sealed field has no container', { path });
    const siblings = children.get(parent);
    if (siblings === undefined) children.set(parent, [i]);
    else siblings.push(i);
  });
  return children;
}

function containerOf(paths: readonly string[], index: number): number | undefined {
  const path = paths[index] as string;
  for (let j = index - 1; j >= 0; j--) {
    const candidate = paths[j] as string;
    if (candidate === '' || candidate === path || path.startsWith(`${candidate}/`)) return j;
  }
  return undefined;
}

/**
 * Placeholders to expect in the clear JSON per purpose: fields sealed inside other values have
 * theirs inside those. Subject groups are left out: their placeholders never name a key id (a
 * per-subject key id would link a subject's runs in the Web UI), and a purpose that also has
 * fields of a subject at the top level then counts more placeholders than expected, so its
 * placeholders are all left unnamed.
 */
export function countsOf(groups: Map<string, number[]>, nested: readonly boolean[] | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [tag, indexes] of groups) {
    if (tagSubject(tag) !== undefined) continue;
    counts.set(tag, nested === undefined ? indexes.length : indexes.filter((i) => nested[i] !== true).length);
  }
  return counts;
}

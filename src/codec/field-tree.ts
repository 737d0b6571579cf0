import { sealedError } from '../errors';
import type { FieldList } from '../lib/field-list';
import { checkPurpose } from '../model/purpose';

/** The fields at `indexes` by purpose: one box each. Purposes are checked once per distinct purpose, not per field. */
export function groupByPurpose(list: FieldList, indexes: readonly number[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (const i of indexes) {
    const purpose = list.purposes[i] as string;
    const group = groups.get(purpose);
    if (group !== undefined) group.push(i);
    else groups.set(checkPurpose(purpose), [i]);
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

/** Placeholders to expect in the clear JSON per purpose: fields sealed inside other values have theirs inside those. */
export function countsOf(groups: Map<string, number[]>, nested: readonly boolean[] | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [purpose, indexes] of groups) {
    counts.set(purpose, nested === undefined ? indexes.length : indexes.filter((i) => nested[i] !== true).length);
  }
  return counts;
}

import fc from 'fast-check';
import { expect, test } from 'vitest';
import {
  countQuotedPlaceholderStarts,
  indexOfMarker,
  mayHoldPlaceholders,
  mayHoldTombstones,
  PLACEHOLDER_PREFIX,
  TOMBSTONE_PREFIX,
} from '../../../src/lib/placeholders';

// Texts made of pieces that trip a bracket-first search: brackets alone, marker prefixes cut short, the markers.
const piece = fc.constantFrom('[', '[[', '"', 'a', '[sealed', '[sealed:', '[erased:', '[erase', '"[sealed:phi]"', ',', ' ', '[1,[2]]');
const text = fc.array(piece, { maxLength: 400 }).map((parts) => parts.join(''));

test('indexOfMarker finds what indexOf finds, from any start, in sparse and dense brackets alike', () => {
  fc.assert(
    fc.property(text, fc.nat(), fc.constantFrom(PLACEHOLDER_PREFIX, TOMBSTONE_PREFIX), (t, start, marker) => {
      const from = t.length === 0 ? 0 : start % t.length;
      expect(indexOfMarker(t, marker, from)).toBe(t.indexOf(marker, from));
    }),
  );
});

test('a marker after many brackets is found, on the bracket path and after the fallback', () => {
  const sparse = `${'[x'.padEnd(100, ' ').repeat(50)}"[erased:phi]"`;
  const dense = `${'[1,'.repeat(5_000)}"[erased:phi]"`;
  expect(indexOfMarker(sparse, TOMBSTONE_PREFIX)).toBe(sparse.indexOf(TOMBSTONE_PREFIX));
  expect(indexOfMarker(dense, TOMBSTONE_PREFIX)).toBe(dense.indexOf(TOMBSTONE_PREFIX));
  expect(mayHoldTombstones(dense.slice(0, -14))).toBe(false);
});

test('countQuotedPlaceholderStarts counts the strings that start as a placeholder, and nothing else', () => {
  fc.assert(
    fc.property(text, (t) => {
      expect(countQuotedPlaceholderStarts(t)).toBe(t.split(`"${PLACEHOLDER_PREFIX}`).length - 1);
    }),
  );
});

test('mayHoldPlaceholders looks closer at escapes, which can spell a placeholder', () => {
  expect(mayHoldPlaceholders('{"a":"\\u005bsealed:phi]"}')).toBe(true);
  expect(mayHoldPlaceholders('{"a":[1,2],"b":"[sealed:phi]"}')).toBe(true);
  expect(mayHoldPlaceholders('{"a":[1,2],"b":"[seal"}')).toBe(false);
});

import { expect, test } from 'vitest';
import { shownIdentifier } from '../../../src/lib/identifiers';

test('errors and reports show well-formed ids under 40 characters, and only the length of anything else', () => {
  expect(shownIdentifier('k-2026')).toBe('k-2026');
  expect(shownIdentifier('phi')).toBe('phi');
  const key = Buffer.alloc(32, 7).toString('base64url');
  expect(shownIdentifier(key)).toBe('(not shown, 43 characters)');
  expect(shownIdentifier('k'.repeat(40))).toBe('(not shown, 40 characters)');
  expect(shownIdentifier('not an id')).toBe('(not shown, 9 characters)');
});

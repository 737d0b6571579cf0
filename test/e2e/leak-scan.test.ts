// The scanner itself: a canary hidden in any of the ways bytes get stored must be found.
import { expect, test } from 'vitest';
import { canary, findCanaries } from './support/leak-scan';

const planted = { ssn: canary('ScanSelf') };

test.each([0, 1, 2])('finds a canary base64-encoded after %i bytes of other data', (offset) => {
  const blob = Buffer.concat([Buffer.alloc(offset, 7), Buffer.from(`{"ssn":"${planted.ssn}"}`)]).toString('base64');
  expect(findCanaries(Buffer.from(`prefix ${blob} suffix`), planted)).toEqual(['ssn']);
});

test('finds a canary in utf-8 inside protobuf-like bytes and in base64url', () => {
  expect(findCanaries(Buffer.concat([Buffer.from([0x0a, 0x20]), Buffer.from(planted.ssn), Buffer.from([0x12])]), planted)).toEqual(['ssn']);
  const url = Buffer.from(`xx${planted.ssn}??>>`).toString('base64url');
  expect(findCanaries(Buffer.from(url), planted)).toEqual(['ssn']);
});

test('finds nothing when the canary is absent, even for a short value', () => {
  expect(findCanaries(Buffer.from('[sealed:phi:k1] and some base64 AAAA'), { ...planted, short: '5.4%' })).toEqual([]);
});

import { expect, test } from 'vitest';
import { ByteReader, ByteWriter } from '../../../src/codec/byte-io';

test('writers may nest: each keeps its own bytes', () => {
  const outer = new ByteWriter();
  outer.string16('outer/é');
  const inner = new ByteWriter();
  inner.u32(0xdeadbeef);
  const innerBytes = inner.finish();
  outer.u8(7);
  const outerBytes = outer.finish();
  const r = new ByteReader(outerBytes);
  expect([r.string16(), r.u8(), r.done()]).toEqual(['outer/é', 7, true]);
  expect(new ByteReader(innerBytes).u32()).toBe(0xdeadbeef);
});

test('a writer used after finish never writes into the buffer another writer borrowed', () => {
  const first = new ByteWriter();
  first.u8(1);
  first.finish();
  const second = new ByteWriter();
  second.bytes(Uint8Array.of(2, 2, 2));
  first.u8(9);
  expect(second.finish()).toEqual(Uint8Array.of(2, 2, 2));
});

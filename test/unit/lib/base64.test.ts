import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { decodeBase64, encodeBase64, KEY_MATERIAL, PROTOBUF_JSON } from '../../../src/lib/base64';

/** The module as the workflow sandbox runs it: a fresh context without Node's Buffer. */
function withoutNode(): typeof import('../../../src/lib/base64') {
  const source = readFileSync(join(__dirname, '../../../src/lib/base64.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  });
  const module = { exports: {} as typeof import('../../../src/lib/base64') };
  runInNewContext(outputText, { module, exports: module.exports, Uint8Array });
  return module.exports;
}

describe('lib/base64', () => {
  test('key material: trimmed, both alphabets in one string, any length; never empty', () => {
    expect(decodeBase64(' +/-_AQ== \n', KEY_MATERIAL)).toEqual(Uint8Array.from([0xfb, 0xff, 0xbf, 0x01]));
    expect(decodeBase64('QUJDR', KEY_MATERIAL)).toEqual(Uint8Array.from([0x41, 0x42, 0x43]));
    for (const text of ['', '  ', '==', 'ab$d', 'ab d', 'QQ===', 5]) expect(decodeBase64(text, KEY_MATERIAL)).toBeUndefined();
  });

  test('protobuf JSON: one alphabet per string, padded or not, empty allowed, no impossible length, no whitespace', () => {
    expect(decodeBase64('', PROTOBUF_JSON)).toEqual(new Uint8Array());
    for (const text of ['+//+AQ==', '+//+AQ', '-__-AQ==', '-__-AQ'])
      expect(decodeBase64(text, PROTOBUF_JSON)).toEqual(Uint8Array.from([0xfb, 0xff, 0xfe, 0x01]));
    for (const text of ['a+b_', 'abcde', ' QQ==', 'ab$d', null]) expect(decodeBase64(text, PROTOBUF_JSON)).toBeUndefined();
  });

  test('writes standard padded base64, or URL-safe without padding', () => {
    const bytes = Uint8Array.from([0xfb, 0xff, 0xfe, 0x01]);
    expect(encodeBase64(bytes)).toBe('+//+AQ==');
    expect(encodeBase64(bytes, { url: true })).toBe('-__-AQ');
  });

  test('without Node (the workflow sandbox) it reads and writes the same bytes and text', () => {
    const portable = withoutNode();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, url) => {
        const text = encodeBase64(bytes, { url });
        expect(portable.encodeBase64(bytes, { url })).toBe(text);
        expect(portable.decodeBase64(text, PROTOBUF_JSON)).toEqual(bytes);
        expect(portable.decodeBase64(`${text}A`, KEY_MATERIAL)).toEqual(decodeBase64(`${text}A`, KEY_MATERIAL));
      }),
    );
  });
});

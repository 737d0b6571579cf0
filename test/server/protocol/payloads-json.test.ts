import { describe, expect, test } from 'vitest';
import { CodecHttpError } from '../../../src/server/http-errors/http-errors';
import { MAX_UNKNOWN_FIELD_DEPTH } from '../../../src/server/limits/limits';
import { decodeBase64, PROTOBUF_JSON } from '../../../src/lib/base64';
import { parsePayloadsBody, payloadsToJson } from '../../../src/server/protocol/payloads-json';

function kindOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (err) {
    return err instanceof CodecHttpError ? err.kind : 'other';
  }
}

describe('codec protocol JSON', () => {
  test('a Payloads body round-trips through parse and serialize', () => {
    const body = JSON.stringify({
      payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{"a":1}').toString('base64') }],
    });
    const parsed = parsePayloadsBody(body, 10);
    expect(Buffer.from(parsed[0]!.data!).toString()).toBe('{"a":1}');
    expect(JSON.parse(payloadsToJson(parsed))).toEqual(JSON.parse(body));
  });

  test('standard and URL-safe base64, padded or not, decode to the same bytes', () => {
    const bytes = Uint8Array.from([0xfb, 0xff, 0xfe, 0x01]);
    for (const text of ['+//+AQ==', '+//+AQ', '-__-AQ==', '-__-AQ']) expect(decodeBase64(text, PROTOBUF_JSON)).toEqual(bytes);
  });

  test.each([
    ['not JSON', '{"payloads": ['],
    ['a JSON array', '[]'],
    ['payloads not an array', '{"payloads": {}}'],
    ['a payload that is a string', '{"payloads": ["x"]}'],
    ['metadata that is an array', '{"payloads": [{"metadata": [], "data": ""}]}'],
    ['a metadata value that is not a string', '{"payloads": [{"metadata": {"encoding": 5}, "data": ""}]}'],
    ['data with characters outside base64', '{"payloads": [{"metadata": {}, "data": "ab$d"}]}'],
    ['data mixing both base64 alphabets', '{"payloads": [{"metadata": {}, "data": "a+b_"}]}'],
    ['data of impossible length', '{"payloads": [{"metadata": {}, "data": "abcde"}]}'],
  ])('%s is a bad request', (_name, body) => {
    expect(kindOf(() => parsePayloadsBody(body, 10))).toBe('bad_request');
  });

  test('an unknown field nested deeper than the limit is a bad request, at any depth of arrays or objects', () => {
    const arrays = '['.repeat(5000) + ']'.repeat(5000);
    const objects = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    for (const deep of [arrays, objects]) {
      expect(kindOf(() => parsePayloadsBody(`{"payloads":[{"metadata":{},"data":"","x":${deep}}]}`, 10))).toBe('bad_request');
    }
    const shallow = '['.repeat(MAX_UNKNOWN_FIELD_DEPTH) + ']'.repeat(MAX_UNKNOWN_FIELD_DEPTH);
    expect(parsePayloadsBody(`{"payloads":[{"metadata":{},"data":"","x":${shallow}}]}`, 10)[0]!.extra).toBeDefined();
  });

  test('more payloads than the limit is payload_too_large', () => {
    const body = JSON.stringify({ payloads: Array.from({ length: 11 }, () => ({ metadata: {}, data: '' })) });
    expect(kindOf(() => parsePayloadsBody(body, 10))).toBe('payload_too_large');
  });

  test('fields of a payload this server does not know pass through', () => {
    const body = JSON.stringify({ payloads: [{ metadata: {}, data: '', externalPayloads: [{ sizeBytes: '3' }] }] });
    expect(JSON.parse(payloadsToJson(parsePayloadsBody(body, 10))).payloads[0].externalPayloads).toEqual([{ sizeBytes: '3' }]);
  });

  test('an empty body object means no payloads', () => {
    expect(parsePayloadsBody('{}', 10)).toEqual([]);
  });
});

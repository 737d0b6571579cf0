import { afterEach, describe, expect, test, vi } from 'vitest';
import { auditWith, stderrAuditSink } from '../../../src/server/audit/audit-log';

afterEach(() => vi.restoreAllMocks());

describe('audit log', () => {
  test('the default sink writes one JSON line per record to stderr', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    auditWith(stderrAuditSink)({
      event: 'reveal',
      subject: 'ana',
      namespace: 'default',
      requestNamespace: 'default',
      purposes: ['phi'],
      fields: 2,
      payloads: 1,
    });
    expect(write).toHaveBeenCalledTimes(1);
    const line = String(write.mock.calls[0]![0]);
    expect(line.endsWith('\n')).toBe(true);
    expect(JSON.parse(line)).toMatchObject({ audit: 'temporal-sealed-fields', event: 'reveal', subject: 'ana', fields: 2 });
    expect(typeof JSON.parse(line).ts).toBe('string');
  });

  test('a sink that throws never fails the request', () => {
    const audit = auditWith(() => {
      throw new Error('disk full');
    });
    expect(() => audit({ event: 'seal', subject: 'x', namespace: null, payloads: 1 })).not.toThrow();
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { log } from './log';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('structured log lines', () => {
  it('writes one JSON object per line with the ids it is given and without undefined fields', () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => lines.push(line));
    log('info', 'delivery sent', {
      workspaceId: 'w1',
      runId: 'r1',
      deliveryId: 'd1',
      extra: undefined,
    });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] ?? '');
    expect(entry).toMatchObject({
      level: 'info',
      msg: 'delivery sent',
      workspaceId: 'w1',
      runId: 'r1',
      deliveryId: 'd1',
    });
    expect(entry).not.toHaveProperty('extra');
    expect(Number.isNaN(Date.parse(entry.time))).toBe(false);
  });

  it('writes errors to console.error with their name, message and stack', () => {
    const lines: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => lines.push(line));
    log('error', 'send failed', { error: new TypeError('boom') });
    const entry = JSON.parse(lines[0] ?? '');
    expect(entry.error).toMatchObject({ name: 'TypeError', message: 'boom' });
    expect(entry.error.stack).toContain('boom');
  });

  it('still writes a line when a field cannot be serialised', () => {
    const lines: string[] = [];
    vi.spyOn(console, 'warn').mockImplementation((line: string) => lines.push(line));
    log('warn', 'odd field', { big: 10n });
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      msg: 'odd field',
      unserializableFields: true,
    });
  });
});

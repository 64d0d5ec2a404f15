import { serverAudits } from 'graphql-http';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApi } from './test-support';

const api = useTestApi();
let apiKey = '';

beforeAll(async () => {
  ({ apiKey } = await api.createWorkspace('Audit'));
});

/** The audits' requests, sent in-process to Yoga with this workspace's key added. */
async function fetchWithKey(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const headers = new Headers(init?.headers);
  headers.set('authorization', `Bearer ${apiKey}`);
  return api.yoga.fetch(input as string, { ...init, headers });
}

describe('GraphQL over HTTP compliance (graphql-http audits)', () => {
  const audits = serverAudits({ url: 'http://api.test/graphql', fetchFn: fetchWithKey });

  it('runs the audits', () => {
    expect(audits.filter((audit) => audit.name.startsWith('MUST')).length).toBeGreaterThan(10);
  });

  for (const audit of audits.filter((audit) => audit.name.startsWith('MUST'))) {
    it(audit.name, async () => {
      const result = await audit.fn();
      expect(result.status === 'ok' ? 'ok' : `${result.status}: ${result.reason}`).toBe('ok');
    });
  }
});

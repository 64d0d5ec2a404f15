import { describe, expect, it } from 'vitest';
import { useTestApi } from '../test-support';

const api = useTestApi();

const UPDATE = /* GraphQL */ `
  mutation ($input: UpdateWorkspaceInput!) {
    updateWorkspace(input: $input) {
      __typename
      ... on MutationUpdateWorkspaceSuccess { data { name timezone } }
      ... on ValidationError { issues { code path message } }
    }
  }
`;

describe('workspace', () => {
  it("returns the key's own workspace", async () => {
    const { apiKey, workspaceId } = await api.createWorkspace('Acme');
    const result = await api.gql(apiKey, '{ workspace { id name timezone createdAt } }');
    expect(result.data.workspace).toMatchObject({ id: workspaceId, name: 'Acme', timezone: 'UTC' });
  });

  it('changes the timezone to a valid IANA zone', async () => {
    const { apiKey } = await api.createWorkspace('Acme');
    const result = await api.gql(apiKey, UPDATE, { input: { timezone: 'Europe/Paris' } });
    expect(result.data.updateWorkspace.data).toEqual({ name: 'Acme', timezone: 'Europe/Paris' });
  });

  it('stores a zone written in another letter case as the runtime spells it, and any other valid name as given', async () => {
    const { apiKey } = await api.createWorkspace('Acme');
    for (const [given, stored] of [
      ['europe/paris', 'Europe/Paris'],
      ['AMERICA/NEW_YORK', 'America/New_York'],
      ['utc', 'UTC'],
      // Not ICU's older or other names: Europe/Kiev, Asia/Calcutta, UTC, America/Panama.
      ['Europe/Kyiv', 'Europe/Kyiv'],
      ['Asia/Kolkata', 'Asia/Kolkata'],
      ['Etc/UTC', 'Etc/UTC'],
      ['EST', 'EST'],
    ]) {
      const result = await api.gql(apiKey, UPDATE, { input: { timezone: given } });
      expect(result.data.updateWorkspace.data.timezone, given).toBe(stored);
      const read = await api.gql(apiKey, '{ workspace { timezone } }');
      expect(read.data.workspace.timezone, given).toBe(stored);
    }
  });

  it('rejects an unknown timezone and writes nothing', async () => {
    const { apiKey } = await api.createWorkspace('Acme');
    const result = await api.gql(apiKey, UPDATE, {
      input: { name: 'Renamed', timezone: 'Mars/Olympus' },
    });
    expect(result.data.updateWorkspace.__typename).toBe('ValidationError');
    expect(result.data.updateWorkspace.issues[0]).toMatchObject({
      code: 'INVALID_VALUE',
      path: 'timezone',
    });
    const after = await api.gql(apiKey, '{ workspace { name timezone } }');
    expect(after.data.workspace).toEqual({ name: 'Acme', timezone: 'UTC' });
  });
});

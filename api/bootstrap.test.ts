import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { workspaces } from '../db/schema';
import { createWorkspaceWithKey } from './bootstrap';
import { useTestApi } from './test-support';

const api = useTestApi();

describe('createWorkspaceWithKey', () => {
  it('creates a workspace and an admin key that can read and write it', async () => {
    const { workspaceId, apiKey } = await createWorkspaceWithKey(api.db, {
      name: 'Local',
      timezone: 'Europe/Paris',
    });
    const read = await api.gql(
      apiKey,
      '{ workspace { id name timezone } apiKeys { name scopes } }',
    );
    expect(read.data).toEqual({
      workspace: { id: workspaceId, name: 'Local', timezone: 'Europe/Paris' },
      apiKeys: [{ name: 'Admin key', scopes: ['ADMIN'] }],
    });
  });

  it('refuses an unknown timezone without creating anything', async () => {
    await expect(
      createWorkspaceWithKey(api.db, { name: 'Bad zone', timezone: 'Nowhere/Special' }),
    ).rejects.toThrow(RangeError);
    expect(await api.db.$count(workspaces, eq(workspaces.name, 'Bad zone'))).toBe(0);
  });
});

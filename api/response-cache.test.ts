import { eq, sql } from 'drizzle-orm';
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import {
  type GraphQLNamedType,
  getNamedType,
  isInterfaceType,
  isObjectType,
  isUnionType,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { REVISION_TABLES } from '../db/revision-triggers';
import { contacts, workflows } from '../db/schema';
import { CHANNEL_INTEGRATIONS } from '../edge/channels/registry';
import { CACHED_QUERY_FIELDS } from './response-cache';
import { apiSchema } from './server';
import { useTestApi } from './test-support';

/**
 * Types reachable from the cached root fields that are not rows of a table: each was checked to
 * be built from its parent row's columns (configs, settings, rich text, reports) or from the
 * request, never from another table. A new one must be checked the same way before it joins.
 */
const EMBEDDED_TYPES = new Set([
  'SnippetConnection',
  'SnippetEdge',
  'FileConnection',
  'FileEdge',
  'ChannelConnection',
  'ChannelEdge',
  'QueryWorkflowsConnection',
  'QueryWorkflowsConnectionEdge',
  'PageInfo',
  'ChannelTemplate',
  'ChannelSettings',
  'WhatsAppChannelSettings',
  'SmsChannelSettings',
  'MessengerChannelSettings',
  'EmailChannelSettings',
  'CustomChannelSettings',
  'ChannelCallback',
  'PublishedStep',
  'StepConfig',
  'WaitConfig',
  'SendMessageConfig',
  'EmailContent',
  'RichTextBlock',
  'RichTextSpan',
  'DefaultMessageContent',
  'TextMessage',
  'MediaMessage',
  'ConfirmDelivery',
  'ChannelResponse',
  'MessageContent',
  'WhatsAppTemplateMessage',
  'MessengerTaggedMessage',
  'ChannelSelection',
  'PublishReport',
  'PublishIssue',
  'TemplateButtonParameter',
  // A template's header media, from the step config column (its `file`, like MediaMessage's,
  // is a File row, which has triggers).
  'TemplateHeaderMedia',
  // Every integration's settings type is built from the channel row's settings column
  // (api/schema/channel-settings.ts), whatever integration adds it.
  ...CHANNEL_INTEGRATIONS.map((integration) => integration.definition.api.settingsType),
]);

/** Every object, interface and union type the cached root fields can reach. */
function reachableTypes(): GraphQLNamedType[] {
  const schema = apiSchema();
  const fields = schema.getQueryType()!.getFields();
  const queue = CACHED_QUERY_FIELDS.map((name) => getNamedType(fields[name]!.type));
  const seen = new Map<string, GraphQLNamedType>();
  while (queue.length > 0) {
    const type = queue.pop()!;
    if (seen.has(type.name)) continue;
    seen.set(type.name, type);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) queue.push(getNamedType(field.type));
    }
    if (isUnionType(type)) queue.push(...type.getTypes());
    if (isInterfaceType(type)) queue.push(...schema.getPossibleTypes(type));
  }
  return [...seen.values()].filter(
    (type) => isObjectType(type) || isInterfaceType(type) || isUnionType(type),
  );
}

const api = useTestApi();
/** A second API server: another isolate, with a cache of its own. */
const otherIsolate = useTestApi();

const LIST = '{ workflows(first: 10) { nodes { id name stepCount } } }';

describe('response cache', () => {
  it('caches only fields whose every type is read from tables with revision triggers', () => {
    const tables = new Set<string>(REVISION_TABLES);
    for (const type of reachableTypes()) {
      const drizzle = (type.extensions as { pothosDrizzleTable?: { table: PgTable } })
        .pothosDrizzleTable;
      if (drizzle) expect(tables, type.name).toContain(getTableConfig(drizzle.table).name);
      else expect(EMBEDDED_TYPES, type.name).toContain(type.name);
    }
  });

  it('serves a repeated listing without reading the workflows again', async () => {
    const { apiKey, workspaceId } = await api.createWorkspace();
    await api.db.insert(workflows).values({ workspaceId, name: 'First' });
    const first = await api.gql(apiKey, LIST);
    expect(first.data.workflows.nodes.map((node: { name: string }) => node.name)).toEqual([
      'First',
    ]);
    // Changed behind the triggers' back (their revision bump undone): a cached answer shows
    // the old name, which proves the second request was served from the cache.
    await api.db
      .update(workflows)
      .set({ name: 'Renamed' })
      .where(eq(workflows.workspaceId, workspaceId));
    await api.db.execute(
      sql`update workspace_revisions set revision = revision - 1 where workspace_id = ${workspaceId}`,
    );
    expect((await api.gql(apiKey, LIST)).data).toEqual(first.data);
  });

  it("answers a write's result at once, in this isolate and in every other", async () => {
    const { apiKey, workspaceId } = await api.createWorkspace();
    const [workflow] = await api.db
      .insert(workflows)
      .values({ workspaceId, name: 'Before' })
      .returning();
    expect((await api.gql(apiKey, LIST)).data.workflows.nodes[0].name).toBe('Before');
    expect((await otherIsolate.gql(apiKey, LIST)).data.workflows.nodes[0].name).toBe('Before');
    const renamed = await otherIsolate.gql(
      apiKey,
      'mutation ($id: ID!) { updateWorkflow(input: { id: $id, name: "After" }) { __typename } }',
      { id: workflow!.id },
    );
    expect(renamed.data.updateWorkflow.__typename).toBe('MutationUpdateWorkflowSuccess');
    expect((await api.gql(apiKey, LIST)).data.workflows.nodes[0].name).toBe('After');
    // A write that no API call made (the dispatch pipeline, a script) counts the same.
    await api.db.insert(workflows).values({ workspaceId, name: 'Later' });
    expect((await api.gql(apiKey, LIST)).data.workflows.nodes).toHaveLength(2);
    expect((await otherIsolate.gql(apiKey, LIST)).data.workflows.nodes).toHaveLength(2);
  });

  it("never answers one workspace with another's cached response", async () => {
    const a = await api.createWorkspace();
    const b = await api.createWorkspace();
    await api.db.insert(workflows).values({ workspaceId: a.workspaceId, name: 'Only in A' });
    expect((await api.gql(a.apiKey, LIST)).data.workflows.nodes).toHaveLength(1);
    expect((await api.gql(b.apiKey, LIST)).data.workflows.nodes).toEqual([]);
    expect((await api.gql(a.apiKey, LIST)).data.workflows.nodes).toHaveLength(1);
  });

  it('never caches fields read from tables without triggers (contacts)', async () => {
    const { apiKey, workspaceId } = await api.createWorkspace();
    const query = '{ contacts { totalCount } workflows { nodes { id } } }';
    expect((await api.gql(apiKey, query)).data.contacts.totalCount).toBe(0);
    await api.db.insert(contacts).values({ workspaceId, firstName: 'New' });
    expect((await api.gql(apiKey, query)).data.contacts.totalCount).toBe(1);
  });

  it('runs a repeated mutation every time (mutations are never cached)', async () => {
    const { apiKey, workspaceId } = await api.createWorkspace();
    // Contacts have no revision triggers: the session stays the same between the two calls.
    const [contact] = await api.db.insert(contacts).values({ workspaceId }).returning();
    const remove =
      'mutation ($id: ID!) { deleteContact(id: $id) { __typename ... on NotFoundError { entity } } }';
    const first = await api.gql(apiKey, remove, { id: contact!.id });
    expect(first.data.deleteContact.__typename).toBe('MutationDeleteContactSuccess');
    const again = await api.gql(apiKey, remove, { id: contact!.id });
    expect(again.data.deleteContact.__typename).toBe('NotFoundError');
  });

  it('does not cache errors, nor answer a request without a valid key', async () => {
    const { apiKey } = await api.createWorkspace();
    expect((await api.gql(apiKey, LIST)).errors).toBeUndefined();
    const anonymous = await api.gql(null, LIST);
    expect(anonymous.status).toBe(401);
    expect(anonymous.data ?? null).toBeNull();
    const wrong = await api.gql(`${apiKey.slice(0, -4)}xxxx`, LIST);
    expect(wrong.status).toBe(401);
  });
});

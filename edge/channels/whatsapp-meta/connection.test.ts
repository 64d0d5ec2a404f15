import { afterEach, describe, expect, test } from 'vitest';
import { type MetaGraph, startMetaGraph } from '../../../test/fakes/meta-graph';
import { MAX_LISTED_TEMPLATES } from '../connection';
import { whatsappMetaConnection } from './connection';
import { TEST_GRAPH_VERSION, WHATSAPP_TEST_IDS, whatsappChannel } from './test-fixtures';

/** Listing a WhatsApp Business Account's templates ("Get message templates", cursor paging). */

let graph: MetaGraph | null = null;
afterEach(async () => {
  await graph?.close();
  graph = null;
});

async function listWith(count: number) {
  graph = await startMetaGraph({
    ...WHATSAPP_TEST_IDS,
    version: TEST_GRAPH_VERSION,
    templates: Array.from({ length: count }, (_, index) => ({
      name: `template_${index}`,
      language: 'en',
      status: 'APPROVED',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Hi {{1}}' }],
    })),
  });
  return whatsappMetaConnection.listTemplates!(whatsappChannel(), {
    endpoints: { GRAPH_API_URL: graph.url, GRAPH_API_VERSION: TEST_GRAPH_VERSION },
    allowPrivateUrls: false,
    timeoutMs: 5_000,
  });
}

describe('listing WhatsApp templates', () => {
  test('pages past 1,000 templates: every one is listed', async () => {
    const listed = await listWith(1_050);
    expect(listed.ok && listed.templates.length).toBe(1_050);
    expect(listed.ok && listed.templates.at(-1)?.name).toBe('template_1049');
    expect(listed).not.toHaveProperty('truncated');
  });

  test('stops at MAX_LISTED_TEMPLATES, saying the list is truncated', async () => {
    const listed = await listWith(MAX_LISTED_TEMPLATES + 30);
    expect(listed).toMatchObject({ ok: true, truncated: true });
    expect(listed.ok && listed.templates.length).toBe(MAX_LISTED_TEMPLATES);
  });

  test('exactly MAX_LISTED_TEMPLATES templates are all listed, not truncated', async () => {
    const listed = await listWith(MAX_LISTED_TEMPLATES);
    expect(listed.ok && listed.templates.length).toBe(MAX_LISTED_TEMPLATES);
    expect(listed).not.toHaveProperty('truncated');
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Json, useTestApi } from '../api/test-support';

/**
 * The README's example, run exactly as written: every ```graphql block with the ```json
 * variables block after it, in order, with the placeholder ids (WORKFLOW_ID, …) replaced by the
 * ids earlier operations returned. If the schema or behaviour moves, the README fails here.
 */
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

interface ExampleOperation {
  query: string;
  variables: string;
}

function exampleOperations(markdown: string): ExampleOperation[] {
  const blocks = [...markdown.matchAll(/```(graphql|json)\n([\s\S]*?)```/g)].map((match) => ({
    lang: match[1],
    body: match[2]!,
  }));
  const operations: ExampleOperation[] = [];
  for (let index = 0; index < blocks.length; index++) {
    const block = blocks[index]!;
    const next = blocks[index + 1];
    if (block.lang === 'graphql' && next?.lang === 'json') {
      operations.push({ query: block.body, variables: next.body });
    }
  }
  return operations;
}

/** Which placeholder each operation's result fills, read from the success payload. */
const PRODUCES: Record<string, [string, (data: Json) => string]> = {
  CreateChannel: ['CHANNEL_ID', (data) => data.createChannel.data.id],
  CreateContact: ['CONTACT_ID', (data) => data.createContact.data.id],
  CreateWorkflow: ['WORKFLOW_ID', (data) => data.createWorkflow.data.id],
  AddWelcome: ['WELCOME_STEP_ID', (data) => data.addSendMessageStep.data.id],
  AddWait: ['WAIT_STEP_ID', (data) => data.addWaitStep.data.id],
  AddFollowUp: ['FOLLOW_UP_STEP_ID', (data) => data.addSendMessageStep.data.id],
};

// The example runs against `npm start`, where ALLOW_PRIVATE_URLS=true lets channels reach the
// local inbox on 127.0.0.1.
const api = useTestApi({ allowPrivateUrls: true });

describe('README one-command example', () => {
  // `npm run example` needs a running `npm start`, which takes the better part of a minute to
  // boot: scripts/start.test.ts runs it there, against a fresh start, to delivery. This keeps
  // the README's promise and that test from drifting apart.
  it('is the script the README names, and the npm start test runs it to delivery', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.scripts.example).toBe('tsx scripts/example.ts');
    expect(README).toContain('`npm run example`');
    expect(README).toContain('`scripts/start.test.ts` runs it');
    const startTest = readFileSync(new URL('../scripts/start.test.ts', import.meta.url), 'utf8');
    expect(startTest).toContain("npmRun(['run', 'example']");
    expect(startTest).toContain('Delivered: two emails in one thread and a signed webhook');
    const example = readFileSync(new URL('../scripts/example.ts', import.meta.url), 'utf8');
    expect(example).toContain('Delivered: two emails in one thread and a signed webhook');
  });
});

describe('README example', () => {
  it('runs every documented operation successfully, in order', async () => {
    const operations = exampleOperations(README);
    expect(operations.length).toBeGreaterThanOrEqual(10);
    const { apiKey } = await api.createWorkspace('README');
    const ids: Record<string, string> = {};
    const results: Record<string, Json> = {};

    for (const operation of operations) {
      const name = /(?:query|mutation)\s+(\w+)/.exec(operation.query)?.[1] ?? '';
      const variablesText = operation.variables.replace(
        /"([A-Z_]+_ID)"/g,
        (whole, placeholder: string) => (ids[placeholder] ? `"${ids[placeholder]}"` : whole),
      );
      expect(variablesText, `${name} uses an id no earlier step produced`).not.toMatch(
        /"[A-Z_]+_ID"/,
      );
      const response = await api.gql(apiKey, operation.query, JSON.parse(variablesText));
      expect(response.errors, name).toBeUndefined();
      const root = Object.values(response.data)[0] as Json;
      if (root && typeof root === 'object' && '__typename' in root) {
        expect(root.__typename, `${name}: ${JSON.stringify(root)}`).toMatch(/Success$/);
      }
      results[name] = response.data;
      const produces = PRODUCES[name];
      if (produces) ids[produces[0]] = produces[1](response.data);
    }

    const preview = results.Preview.previewStep.data;
    expect(preview.recipient).toBe('ada@example.com');
    expect(preview.failure).toBeNull();
    expect(preview.email.subject).toBe('Welcome, Ada');
    expect(results.Publish.publishWorkflow.data.version.version).toBe(1);
    expect(results.Publish.publishWorkflow.data.report.warnings).toEqual([]);
    expect(results.Start.startWorkflow.data.runCount).toBe(1);
    expect(results.Runs.runs.nodes).toHaveLength(1);
  });
});

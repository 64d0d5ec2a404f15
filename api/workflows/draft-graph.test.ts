import { describe, expect, it } from 'vitest';
import type { WorkflowGraph } from '../../workflow/types';
import { draftGraph, sameGraph } from './draft-graph';

const row = (id: string, nextStepId: string | null, config: Record<string, unknown>) => ({
  id,
  type: 'wait' as const,
  name: null,
  config,
  nextStepId,
  failureStepId: null,
});

describe('sameGraph', () => {
  const published: WorkflowGraph = draftGraph('a', [
    row('a', 'b', { seconds: 1 }),
    row('b', null, { seconds: 2 }),
  ]);

  it('ignores step order and object key order (jsonb reorders keys)', () => {
    const reordered = draftGraph('a', [
      row('b', null, { seconds: 2 }),
      { ...row('a', 'b', { seconds: 1 }), failureStepId: null, name: null },
    ]);
    expect(sameGraph(reordered, JSON.parse(JSON.stringify(published)))).toBe(true);
  });

  it('sees a changed config, edge, entry or step list', () => {
    expect(
      sameGraph(
        draftGraph('a', [row('a', 'b', { seconds: 1 }), row('b', null, { seconds: 3 })]),
        published,
      ),
    ).toBe(false);
    expect(
      sameGraph(
        draftGraph('a', [row('a', null, { seconds: 1 }), row('b', null, { seconds: 2 })]),
        published,
      ),
    ).toBe(false);
    expect(
      sameGraph(
        draftGraph('b', [row('a', 'b', { seconds: 1 }), row('b', null, { seconds: 2 })]),
        published,
      ),
    ).toBe(false);
    expect(sameGraph(draftGraph('a', [row('a', 'b', { seconds: 1 })]), published)).toBe(false);
  });

  it('treats a missing entry step as the empty id', () => {
    expect(draftGraph(null, []).entryStepId).toBe('');
  });
});

import { describe, expect, it } from 'vitest';
import { IssueList } from '../validation';
import { MAX_TRIGGER_VARIABLES, parseTriggerVariables } from './trigger-variables';

function parsed(value: unknown) {
  const issues = new IssueList();
  const variables = parseTriggerVariables(value, issues);
  return { variables, issues: issues.issues.map(({ code, path }) => ({ code, path })) };
}

describe('trigger variables', () => {
  it('keeps an object of strings whose names can be used as $trigger.<name>', () => {
    expect(parsed({ orderId: 'A-17', first_name: 'Ada' })).toEqual({
      variables: { orderId: 'A-17', first_name: 'Ada' },
      issues: [],
    });
  });

  it('reports each bad name or value of a list within the limit', () => {
    expect(parsed({ '1st': 'x', ok: 'y', count: 3 }).issues).toEqual([
      { code: 'INVALID_VALUE', path: 'variables.1st' },
      { code: 'INVALID_VALUE', path: 'variables.count' },
    ]);
  });

  it('refuses more variables than allowed as one issue, without reporting each', () => {
    const many = Object.fromEntries(
      Array.from({ length: 10_000 }, (_, n) => [`${n}-not-a-name`, n]),
    );
    expect(parsed(many).issues).toEqual([{ code: 'INVALID_VALUE', path: 'variables' }]);
    const oneTooMany = Object.fromEntries(
      Array.from({ length: MAX_TRIGGER_VARIABLES + 1 }, (_, n) => [`v${n}`, 'x']),
    );
    expect(parsed(oneTooMany).issues).toEqual([{ code: 'INVALID_VALUE', path: 'variables' }]);
  });
});

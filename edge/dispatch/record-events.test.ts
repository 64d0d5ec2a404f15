import { describe, expect, it } from 'vitest';
import { RUN_CANCELLED_DETAIL_PREFIX } from './cancelled';
import { loggedEvents, planRecordEvents } from './record-events';
import type { DeliveryOutcome, RunMove } from './record-input';

/** The events a record statement may log, as the consumer plans and then publishes them. */

const refs = {
  workspaceId: 'ws-1',
  workflowId: 'wf-1',
  fromStepId: 'step-1',
  fromVisit: 1,
  alreadyEnqueued: false,
  dueInSeconds: 0,
  exitReason: null,
};

function outcome(deliveryId: string, fields: Partial<DeliveryOutcome> = {}): DeliveryOutcome {
  return {
    deliveryId,
    attempts: 1,
    claimedAtMs: null,
    status: 'sent',
    channelId: 'ch-1',
    recipient: null,
    reasonCode: null,
    reasonDetail: null,
    providerMessageId: `p-${deliveryId}`,
    contentSummary: null,
    messageIdHeader: null,
    segments: null,
    thread: null,
    ...fields,
  };
}

function move(runId: string, afterDeliveryId: string | null, fields: Partial<RunMove> = {}) {
  return {
    ...refs,
    runId,
    contactId: `contact-${runId}`,
    afterDeliveryId,
    status: 'active',
    stepId: 'step-2',
    visit: 2,
    ...fields,
  } satisfies RunMove;
}

describe('planRecordEvents', () => {
  it("plans each delivery's creation before its outcome, and the runs' moves after every delivery", () => {
    const planned = planRecordEvents(
      [
        outcome('d1'),
        outcome('d2', { status: 'queued', reasonCode: 'network', reasonDetail: 'timeout' }),
      ],
      [
        move('r1', 'd1'),
        // A retry keeps its run on the visit: no run event.
        move('r2', 'd2', { stepId: 'step-1', visit: 1, dueInSeconds: 30 }),
        move('r3', null, {
          status: 'exited',
          stepId: 'step-1',
          visit: 1,
          exitReason: 'step_missing',
        }),
      ],
    );
    expect(planned.map((event) => [event.seq, event.type])).toEqual([
      [0, 'delivery.queued'],
      [1, 'delivery.sent'],
      [2, 'delivery.queued'],
      // Logged only if r2 was cancelled while its attempt was in flight (record.ts fails it).
      [3, 'delivery.failed'],
      [4, 'run.routed'],
      [6, 'run.exited'],
    ]);
    expect(planned[3]).toMatchObject({
      channel_id: 'ch-1',
      data: {
        delivery: {
          status: 'failed',
          reason: {
            code: 'run_cancelled',
            detail: `${RUN_CANCELLED_DETAIL_PREFIX}timeout`,
          },
        },
      },
    });
    expect(planned[0]!.data).toEqual({
      delivery: {
        id: 'd1',
        runId: 'r1',
        stepId: 'step-1',
        visit: 1,
        workflowId: 'wf-1',
        contactId: 'contact-r1',
        channelId: null,
        status: 'queued',
        providerStatus: null,
        providerMessageId: null,
        reason: null,
      },
    });
    expect(planned[1]).toMatchObject({
      channel_id: 'ch-1',
      data: { delivery: { status: 'sent', channelId: 'ch-1', providerMessageId: 'p-d1' } },
    });
    expect(planned[5]!.data).toEqual({
      run: {
        id: 'r3',
        workflowId: 'wf-1',
        contactId: 'contact-r3',
        status: 'exited',
        stepId: 'step-1',
        visit: 1,
        fromStepId: 'step-1',
        exitReason: 'step_missing',
      },
    });
  });

  it('plans nothing for an outcome without its move (it would not be recorded)', () => {
    expect(planRecordEvents([outcome('d1')], [])).toEqual([]);
  });

  it('carries provider text as the log stores it', () => {
    const [, failed] = planRecordEvents(
      [
        outcome('d1', {
          status: 'failed',
          providerMessageId: 'msg\u0000one',
          reasonCode: 'rejected_by_provider',
          reasonDetail: 'bad\u0000request \uD83D',
        }),
      ],
      [move('r1', 'd1', { status: 'exited', exitReason: 'rejected_by_provider' })],
    );
    expect(failed!.data).toMatchObject({
      delivery: {
        providerMessageId: 'msgone',
        reason: { code: 'rejected_by_provider', detail: 'badrequest \uFFFD' },
      },
    });
  });
});

describe('loggedEvents', () => {
  it('numbers the kept events from their first cursor in seq order, and publishes only those', () => {
    const planned = planRecordEvents(
      [outcome('d1'), outcome('d2')],
      [move('r1', 'd1'), move('r2', 'd2')],
    );
    // d2's claim was lost: neither its events nor its run's move were kept.
    const logged = loggedEvents(planned, [
      {
        workspaceId: 'ws-1',
        // In no particular order, as the statement aggregates them: cursor order is seq order.
        seqs: [4, 0, 1],
        firstCursor: 41,
        occurredAt: '2026-12-02T10:00:00.123456+00:00',
      },
    ]);
    expect(logged.map((event) => [event.cursor, event.event.cursor, event.event.type])).toEqual([
      [41, '41', 'delivery.queued'],
      [42, '42', 'delivery.sent'],
      [43, '43', 'run.routed'],
    ]);
    expect(logged[1]).toMatchObject({
      workspaceId: 'ws-1',
      refs: { workflowId: 'wf-1', runId: 'r1', contactId: 'contact-r1', channelId: 'ch-1' },
      event: { v: 1, occurredAt: '2026-12-02T10:00:00.123Z' },
    });
  });

  it('skips a seq it did not plan, and still gives the others their own cursors', () => {
    const planned = planRecordEvents([outcome('d1')], [move('r1', 'd1')]);
    // Planned: 0 delivery.queued, 1 delivery.sent, 2 run.routed; 1 is taken to be unplanned.
    const withoutSent = planned.filter((event) => event.seq !== 1);
    const logged = loggedEvents(withoutSent, [
      { workspaceId: 'ws-1', seqs: [2, 1, 0], firstCursor: 1, occurredAt: '2026-12-02T10:00:00Z' },
    ]);
    expect(logged.map((event) => [event.cursor, event.event.type])).toEqual([
      [1, 'delivery.queued'],
      [3, 'run.routed'],
    ]);
  });
});

import type { Message } from '@cloudflare/workers-types/latest';
import type { CredentialCipher } from '../../api/credentials';
import type { Database } from '../../db/client';
import { findStep } from '../../workflow/routing';
import { isSendMessageStep, isWaitStep, type SendMessageStep } from '../../workflow/steps';
import type { FailureReason } from '../../workflow/types';
import type { SendOutcome } from '../channels/types';
import { log } from '../log';
import { type ClaimedDelivery, claimDeliveries, type DeliveryKey } from './claim';
import { type DispatchSender, enqueueRuns, queueDelay } from './enqueue';
import { addStepNeeds, type DispatchLibrary, emptyNeeds, loadLibrary } from './library';
import {
  backoffSeconds,
  DUE_TOLERANCE_SECONDS,
  MAX_SEND_ATTEMPTS,
  RETRY_BASE_SECONDS,
  SEND_CONCURRENCY,
  SEND_TIMEOUT_MS,
} from './limits';
import { isCurrentRun, loadRuns, type RunState } from './load';
import { type DispatchMessage, type DispatchRequest, parseDispatchMessage } from './message';
import { mapWithConcurrency } from './pool';
import { prepareSend } from './prepare';
import type { DeliveryOutcome, RunMove } from './record';
import { recordAndMove } from './record';
import { exitMove, MISSING_STEP_REASON, moveAfter, retryMove } from './route';
import { type AdapterLookup, credentialsLoader, deliver } from './send';
import { summarizeMessage } from './summary';

/** What the consumer needs from its host: the invocation's database, queue and settings. */
export interface DispatchDeps {
  db: Database;
  sender: DispatchSender;
  cipher: CredentialCipher;
  adapterFor: AdapterLookup;
  allowPrivateUrls: boolean;
  now?: () => Date;
  /** First retry delay for transient failures (RETRY_BASE_SECONDS unless configured). */
  retryBaseSeconds?: number;
  sendTimeoutMs?: number;
}

/** What became of one message: acknowledged, or handed back to the queue for later. */
export type Settlement = { kind: 'ack' } | { kind: 'retry'; delaySeconds: number };

/** A message whose run is at a Send a Message step and owes a delivery. */
interface SendWork {
  message: Message<unknown>;
  run: RunState;
  step: SendMessageStep;
}

/** One claimed delivery's result, ready for the record statement. */
interface SendResult {
  work: SendWork;
  outcome: DeliveryOutcome;
  move: RunMove;
  settlement: Settlement;
}

/** A concurrent consumer is inserting this delivery right now: look again shortly. */
const CLAIM_RACE_RETRY_SECONDS = 5;

/**
 * Consumes one batch of dispatch messages with a fixed number of queries, whatever its size:
 * load the runs (1), claim their deliveries (1), load the channels, snippets, files and
 * threads the sends need (1), then — with no transaction open — resolve, render and send with
 * bounded concurrency, record every outcome and move every run (1), and enqueue the next steps
 * and stamp them (sendBatch + 1). Messages for runs that have moved on are acknowledged
 * without effect; a delivery already sent is never sent again.
 */
export async function dispatchBatch(
  messages: readonly Message<unknown>[],
  deps: DispatchDeps,
): Promise<Map<Message<unknown>, Settlement>> {
  const now = deps.now?.() ?? new Date();
  const settlements = new Map<Message<unknown>, Settlement>();
  const ack = (message: Message<unknown>) => settlements.set(message, { kind: 'ack' });

  // One message per (run, visit): duplicates in a batch are acknowledged with the first.
  const unique = new Map<string, { message: Message<unknown>; body: DispatchMessage }>();
  for (const message of messages) {
    ack(message);
    const body = parseDispatchMessage(message.body);
    if (!body) {
      log('warn', 'dispatch: dropping a malformed message', { messageId: message.id });
      continue;
    }
    const key = `${body.runId}:${body.visit}`;
    if (!unique.has(key)) unique.set(key, { message, body });
  }

  const runs = await loadRuns(deps.db, [...new Set([...unique.values()].map((u) => u.body.runId))]);
  const moves: RunMove[] = [];
  const requests: DispatchRequest[] = [];
  const sends: SendWork[] = [];
  for (const { message, body } of unique.values()) {
    const run = runs.get(body.runId);
    if (!isCurrentRun(run, body)) {
      log('debug', 'dispatch: stale message acknowledged', {
        runId: body.runId,
        visit: body.visit,
      });
      continue;
    }
    const step = run.currentStepId ? findStep(run.graph, run.currentStepId) : undefined;
    if (!step) {
      moves.push(exitMove(run, run.currentStepId, MISSING_STEP_REASON, null));
      continue;
    }
    const dueInSeconds = (run.dueAt.getTime() - now.getTime()) / 1000;
    if (isWaitStep(step)) {
      // Not yet due: the wait is longer than one queue delay, so chain another message.
      if (dueInSeconds > DUE_TOLERANCE_SECONDS) {
        requests.push({ runId: run.id, visit: run.stepVisit, delaySeconds: dueInSeconds });
      } else {
        moves.push(moveAfter(run, step, { ok: true }, null));
      }
    } else if (isSendMessageStep(step)) {
      // A send step not yet due is waiting for a delivery retry whose message is on its way.
      if (dueInSeconds <= DUE_TOLERANCE_SECONDS) sends.push({ message, run, step });
    }
  }

  const keys: DeliveryKey[] = sends.map(({ run, step }) => ({
    workspaceId: run.workspaceId,
    runId: run.id,
    stepId: step.id,
    visit: run.stepVisit,
  }));
  const claims = new Map<string, ClaimedDelivery>();
  for (const claim of await claimDeliveries(deps.db, keys)) claims.set(claim.runId, claim);

  const claimed: { work: SendWork; claim: ClaimedDelivery }[] = [];
  for (const work of sends) {
    const claim = claims.get(work.run.id);
    if (!claim) {
      settlements.set(work.message, { kind: 'retry', delaySeconds: CLAIM_RACE_RETRY_SECONDS });
    } else if (claim.claimed) {
      claimed.push({ work, claim });
    } else {
      settleUnclaimed(work, claim, now, moves, settlements);
    }
  }

  const outcomes: DeliveryOutcome[] = [];
  if (claimed.length > 0) {
    const library = await loadLibrary(deps.db, needsOf(claimed.map((c) => c.work)));
    const credentialsFor = credentialsLoader(deps.cipher);
    const results = await mapWithConcurrency(claimed, SEND_CONCURRENCY, ({ work, claim }) =>
      sendOne(work, claim, library, credentialsFor, deps, now),
    );
    for (const result of results) {
      outcomes.push(result.outcome);
      moves.push(result.move);
      settlements.set(result.work.message, result.settlement);
    }
  }

  const moved = await recordAndMove(deps.db, outcomes, moves);
  for (const run of moved) {
    if (run.status === 'active' && !run.alreadyEnqueued) {
      requests.push({ runId: run.runId, visit: run.visit, delaySeconds: run.dueInSeconds });
    }
  }
  const enqueued = await enqueueRuns(deps.db, deps.sender, requests);
  if (enqueued.error) {
    // The moves are committed; the sweep enqueues these runs once they are stale.
    log('error', 'dispatch: enqueueing next steps failed', {
      runs: requests.length,
      error: enqueued.error,
    });
  }
  return settlements;
}

/** What a batch needs loaded for its sends: channels, snippets, files and email threads. */
function needsOf(work: readonly SendWork[]) {
  const needs = emptyNeeds();
  for (const { run, step } of work) {
    addStepNeeds(needs, step.config, {
      workspaceId: run.workspaceId,
      workflowId: run.workflowId,
      contactId: run.contact.id,
      lastInteractedChannelId: run.contact.lastInteractedChannelId,
    });
  }
  return needs;
}

/**
 * A delivery someone else holds or has finished. Finished but with the run still on this visit
 * means the run was never moved (it always is in the record statement, so this only repairs
 * rows written by hand or by an older version): move it now, sending nothing. Held by a live
 * claim: come back when the lease ends, in case its holder died.
 */
function settleUnclaimed(
  work: SendWork,
  claim: ClaimedDelivery,
  now: Date,
  moves: RunMove[],
  settlements: Map<Message<unknown>, Settlement>,
): void {
  const { run, step, message } = work;
  switch (claim.status) {
    case 'sent':
      moves.push(moveAfter(run, step, { ok: true }, null));
      break;
    case 'failed':
      moves.push(
        moveAfter(
          run,
          step,
          {
            ok: false,
            reason: (claim.reasonCode ?? 'network') as FailureReason,
            detail: claim.reasonDetail ?? '',
          },
          null,
        ),
      );
      break;
    default: {
      const leaseLeft = ((claim.leaseUntilMs ?? now.getTime()) - now.getTime()) / 1000;
      settlements.set(message, {
        kind: 'retry',
        delaySeconds: Math.max(1, Math.ceil(leaseLeft) + 1),
      });
    }
  }
}

/** Prepares, sends and classifies one claimed delivery. */
async function sendOne(
  work: SendWork,
  claim: ClaimedDelivery,
  library: DispatchLibrary,
  credentialsFor: ReturnType<typeof credentialsLoader>,
  deps: DispatchDeps,
  now: Date,
): Promise<SendResult> {
  const { run, step } = work;
  const fields = { workspaceId: run.workspaceId, runId: run.id, deliveryId: claim.id };
  let channelId: string | null = null;
  let outcome: SendOutcome;
  let summary: string | null = null;
  let messageIdHeader: string | null = null;
  let isEmail = false;
  try {
    const prepared = await prepareSend({
      config: step.config,
      workspaceId: run.workspaceId,
      workflowId: run.workflowId,
      contact: run.contact,
      identities: run.identities,
      library,
      ctx: { contact: run.contact, trigger: run.triggerVariables, now, timezone: run.timezone },
      deliveryId: claim.id,
      templateKey: `${run.versionId}:${step.id}`,
    });
    channelId = prepared.channel?.id ?? null;
    if (!prepared.ok) {
      outcome = {
        status: 'failed',
        reason: prepared.reason,
        detail: prepared.detail,
        retryable: false,
      };
    } else {
      summary = summarizeMessage(prepared.rendered);
      if (prepared.rendered.kind === 'email') {
        isEmail = true;
        messageIdHeader = prepared.rendered.headers.messageId;
      }
      outcome = await deliver(
        prepared,
        { deliveryId: claim.id, workspaceId: run.workspaceId, contact: run.contact },
        credentialsFor,
        {
          adapterFor: deps.adapterFor,
          allowPrivateUrls: deps.allowPrivateUrls,
          timeoutMs: deps.sendTimeoutMs ?? SEND_TIMEOUT_MS,
        },
      );
    }
  } catch (error) {
    // A bug or an outage in our own code, not the provider's answer: retry like a transient.
    log('error', 'dispatch: preparing a send failed', { ...fields, error });
    outcome = {
      status: 'failed',
      reason: 'network',
      detail: `internal error: ${error instanceof Error ? error.message : String(error)}`,
      retryable: true,
    };
  }

  const recorded = {
    deliveryId: claim.id,
    attempts: claim.attempts,
    channelId,
    contentSummary: summary,
    messageIdHeader,
  };
  if (outcome.status === 'sent') {
    log('info', 'delivery sent', {
      ...fields,
      outcome: 'sent',
      attempts: claim.attempts,
      providerMessageId: outcome.providerMessageId,
    });
    return {
      work,
      outcome: {
        ...recorded,
        status: 'sent',
        reasonCode: null,
        reasonDetail: null,
        providerMessageId: outcome.providerMessageId,
        thread:
          isEmail && channelId
            ? {
                workspaceId: run.workspaceId,
                workflowId: run.workflowId,
                contactId: run.contact.id,
              }
            : null,
      },
      move: moveAfter(run, step, { ok: true }, claim.id),
      settlement: { kind: 'ack' },
    };
  }

  const failure = {
    reasonCode: outcome.reason,
    reasonDetail: outcome.detail,
    providerMessageId: null,
    thread: null,
  };
  if (outcome.retryable && claim.attempts < MAX_SEND_ATTEMPTS) {
    // A provider's Retry-After (429, 503) says when it will take the message; else back off.
    const delaySeconds = queueDelay(
      outcome.retryAfterSeconds ??
        backoffSeconds(claim.attempts, deps.retryBaseSeconds ?? RETRY_BASE_SECONDS),
    );
    log('warn', 'delivery failed transiently; will retry', {
      ...fields,
      outcome: 'retry',
      reason: outcome.reason,
      detail: outcome.detail,
      attempts: claim.attempts,
      delaySeconds,
    });
    return {
      work,
      outcome: { ...recorded, ...failure, status: 'queued' },
      move: retryMove(run, step.id, claim.id, delaySeconds),
      settlement: { kind: 'retry', delaySeconds },
    };
  }
  log('warn', 'delivery failed', {
    ...fields,
    outcome: 'failed',
    reason: outcome.reason,
    detail: outcome.detail,
    attempts: claim.attempts,
  });
  return {
    work,
    outcome: { ...recorded, ...failure, status: 'failed' },
    move: moveAfter(
      run,
      step,
      { ok: false, reason: outcome.reason, detail: outcome.detail },
      claim.id,
    ),
    settlement: { kind: 'ack' },
  };
}

/** Applies settlements to the batch's messages (ack, or retry with a delay). */
export function settle(settlements: Map<Message<unknown>, Settlement>): void {
  for (const [message, settlement] of settlements) {
    if (settlement.kind === 'ack') message.ack();
    else message.retry({ delaySeconds: queueDelay(settlement.delaySeconds) });
  }
}

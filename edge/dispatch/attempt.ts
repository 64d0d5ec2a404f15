import type { Message } from '@cloudflare/workers-types/latest';
import type { SendMessageStep } from '../../workflow/steps';
import type { SendOutcome } from '../channels/types';
import { log } from '../log';
import type { ClaimedDelivery } from './claim';
import { queueDelay } from './enqueue';
import type { DispatchLibrary } from './library';
import { backoffSeconds, MAX_SEND_ATTEMPTS, RETRY_BASE_SECONDS, SEND_TIMEOUT_MS } from './limits';
import type { RunState } from './load';
import type { PacedSlot } from './message';
import { prepareSend } from './prepare';
import type { DeliveryOutcome, RunMove } from './record-input';
import { awaitDeliveryMove, confirmationWait, moveAfter, retryMove } from './route';
import { type AdapterLookup, type channelRecordsLoader, deliver, type SendRuntime } from './send';
import { summarizeMessage } from './summary';

/** What became of one message: acknowledged, or handed back to the queue for later. */
export type Settlement = { kind: 'ack' } | { kind: 'retry'; delaySeconds: number };

/** A message whose run is at a Send a Message step and owes a delivery. */
export interface SendWork {
  message: Message<unknown>;
  run: RunState;
  step: SendMessageStep;
  /** The send slot its message holds (edge/dispatch/pace.ts); absent when it holds none. */
  slot?: PacedSlot;
}

/** One claimed delivery's result, ready for the record statement. */
export interface SendResult {
  work: SendWork;
  outcome: DeliveryOutcome;
  move: RunMove;
  settlement: Settlement;
}

/** What an attempt needs from the consumer's host. */
export interface AttemptDeps extends SendRuntime {
  adapterFor: AdapterLookup;
  /** First retry delay for transient failures (RETRY_BASE_SECONDS unless configured). */
  retryBaseSeconds?: number;
  sendTimeoutMs?: number;
}

/**
 * One attempt at one claimed delivery: prepare it (resolve, render), hand it to the channel's
 * adapter, and turn the outcome into the delivery's new state, the run's move and what to do
 * with the queue message: sent → next step (or, with confirm delivery, wait there for the
 * provider's status); transient failure with attempts left → wait for a
 * retry (the provider's Retry-After, else exponential backoff); anything else → failed and
 * routed (failure branch or exit). Nothing here touches the database.
 */
export async function attemptDelivery(
  work: SendWork,
  claim: ClaimedDelivery,
  library: DispatchLibrary,
  recordFor: ReturnType<typeof channelRecordsLoader>,
  deps: AttemptDeps,
  now: Date,
): Promise<SendResult> {
  const { run, step } = work;
  const fields = { workspaceId: run.workspaceId, runId: run.id, deliveryId: claim.id };
  let channelId: string | null = null;
  let channelState: string | null = null;
  let recipient: string | null = null;
  let confirmMinutes: number | null = null;
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
      ...(deps.mediaLinks ? { mediaLinks: deps.mediaLinks } : {}),
      recordedRecipient: run.recordedRecipient,
    });
    channelId = prepared.channel?.id ?? null;
    channelState = prepared.channel?.sendingState ?? null;
    if (prepared.channel) confirmMinutes = confirmationWait(step, prepared.channel);
    if (!prepared.ok) {
      outcome = {
        status: 'failed',
        reason: prepared.reason,
        detail: prepared.detail,
        retryable: false,
      };
    } else {
      // Where the message goes: recorded whatever the adapter's call comes to.
      recipient = prepared.recipient;
      summary = summarizeMessage(prepared.rendered);
      if (prepared.rendered.kind === 'email') {
        isEmail = true;
        messageIdHeader = prepared.rendered.headers.messageId;
      }
      outcome = await deliver(
        prepared,
        { deliveryId: claim.id, workspaceId: run.workspaceId, contact: run.contact },
        recordFor,
        {
          adapterFor: deps.adapterFor,
          allowPrivateUrls: deps.allowPrivateUrls,
          connectTcp: deps.connectTcp,
          endpoints: deps.endpoints,
          callbackOrigin: deps.callbackOrigin,
          ...(deps.media ? { media: deps.media } : {}),
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
    claimedAtMs: claim.claimedAtMs,
    channelId,
    recipient,
    contentSummary: summary,
    messageIdHeader,
  };
  if (outcome.status === 'sent') {
    // A plain success is in the delivery row (provider message id, time) and in the batch's
    // summary line: one line per send would be a hundred lines and JSON serialisations per
    // batch. What the provider added (an SMTP reply; a Messenger caption that did not go out)
    // is only here, so it gets its line.
    if (outcome.providerDetail) {
      log('info', 'delivery sent', {
        ...fields,
        outcome: 'sent',
        attempts: claim.attempts,
        providerMessageId: outcome.providerMessageId,
        providerDetail: outcome.providerDetail,
      });
    }
    return {
      work,
      outcome: {
        ...recorded,
        messageIdHeader: outcome.messageIdHeader ?? recorded.messageIdHeader,
        status: 'sent',
        reasonCode: null,
        reasonDetail: null,
        providerMessageId: outcome.providerMessageId,
        segments: outcome.segments ?? null,
        thread:
          isEmail && channelId
            ? {
                workspaceId: run.workspaceId,
                workflowId: run.workflowId,
                contactId: run.contact.id,
                providerThread: outcome.providerThread ?? null,
              }
            : null,
      },
      move:
        confirmMinutes === null
          ? moveAfter(run, step, { ok: true }, claim.id)
          : awaitDeliveryMove(run, step.id, claim.id, confirmMinutes),
      settlement: { kind: 'ack' },
    };
  }

  const failure: Pick<
    DeliveryOutcome,
    | 'reasonCode'
    | 'reasonDetail'
    | 'providerMessageId'
    | 'segments'
    | 'thread'
    | 'channelError'
    | 'channelState'
  > = {
    reasonCode: outcome.reason,
    reasonDetail: outcome.detail,
    providerMessageId: null,
    segments: null,
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
  if (outcome.channelError) failure.channelError = true;
  // What the channel was sent with: the record puts it into error only if it still is.
  if (outcome.channelError || outcome.reason === 'credentials_rejected') {
    failure.channelState = channelState;
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

import type { Message } from '@cloudflare/workers-types/latest';
import type { Database } from '../../db/client';
import type { CredentialCipher } from '../../db/credentials';
import { findStep } from '../../workflow/routing';
import { isSendMessageStep, isWaitStep } from '../../workflow/steps';
import type { EventPublisher } from '../events/types';
import { log } from '../log';
import type { SendPacer } from '../pacing/client';
import { type AttemptDeps, attemptDelivery, type SendWork, type Settlement } from './attempt';
import { type ClaimedDelivery, claimDeliveries, type DeliveryKey } from './claim';
import { type DispatchSender, enqueueRuns, enqueueStamped, queueDelay } from './enqueue';
import { deferClaims, releaseClaims, whileHoldingLeases } from './lease';
import { addStepNeeds, emptyNeeds, loadLibrary } from './library';
import { CLAIM_LEASE_SECONDS, DUE_TOLERANCE_SECONDS, SEND_CONCURRENCY } from './limits';
import { isCurrentRun, loadAndClaimRuns } from './load';
import { type DispatchMessage, type DispatchRequest, parseDispatchMessage } from './message';
import { type DeferredSend, paceSends, untilSlot } from './pace';
import { mapWithConcurrency } from './pool';
import { recordAndMove } from './record';
import type { DeliveryOutcome, RunMove } from './record-input';
import { exitMove, MISSING_STEP_REASON, moveAfter, routeFinishedDelivery } from './route';
import { channelRecordsLoader } from './send';

/** What the consumer needs from its host: the invocation's database, queue and settings. */
export interface DispatchDeps extends AttemptDeps {
  db: Database;
  sender: DispatchSender;
  cipher: CredentialCipher;
  now?: () => Date;
  /** Where the partner events this batch logs are published (the workspace's EventHub). */
  events?: EventPublisher;
  /** Each channel's pacer (edge/pacing); without it, sends go unpaced. */
  pacer?: SendPacer;
}

/** A concurrent consumer is inserting this delivery right now: look again shortly. */
const CLAIM_RACE_RETRY_SECONDS = 5;

/**
 * Consumes one batch of dispatch messages with a fixed number of queries, whatever its size:
 * load the runs and claim the deliveries of those due at a send step (1; a version whose graph
 * the isolate does not have yet, or a delivery held or finished, takes one more claim
 * statement), load the channels, snippets, files and threads the sends need (1), ask each paced
 * channel's pacer for slots (pace.ts; sends that must wait are given back and re-enqueued with
 * their slot, one statement when any), then — with no transaction open — resolve, render and
 * send with bounded concurrency, each at its slot, record every outcome and move every run,
 * stamping their `enqueued_at` (1), and enqueue the next steps (sendBatch). Messages for runs that have moved on are
 * acknowledged without effect; a delivery already sent is never sent again.
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

  const lap = phaseClock();
  const { runs, claims: claimedOnLoad } = await loadAndClaimRuns(
    deps.db,
    [...unique.values()].map(({ body }) => ({ runId: body.runId, visit: body.visit })),
  );
  lap('loadMs');
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
      // One the load claimed was due by the database's clock: it is sent.
      if (claimedOnLoad.has(run.id) || dueInSeconds <= DUE_TOLERANCE_SECONDS) {
        sends.push(body.slot ? { message, run, step, slot: body.slot } : { message, run, step });
      }
    }
  }

  // The sends the load did not claim (usually none once the isolate has the version's graph).
  const keys: DeliveryKey[] = sends
    .filter(({ run }) => !claimedOnLoad.has(run.id))
    .map(({ run, step }) => ({
      workspaceId: run.workspaceId,
      runId: run.id,
      stepId: step.id,
      visit: run.stepVisit,
      pinChannelId: sendsToLastInteracted(step) ? run.contact.lastInteractedChannelId : null,
    }));
  const claims = new Map<string, ClaimedDelivery>(claimedOnLoad);
  const claimedRest = await beforeSending(deps.db, [...claimedOnLoad.values()], () =>
    claimDeliveries(deps.db, keys),
  );
  for (const claim of claimedRest) claims.set(claim.runId, claim);
  lap('claimMs');

  const claimed: { work: SendWork; claim: ClaimedDelivery }[] = [];
  for (const work of sends) {
    const claim = claims.get(work.run.id);
    if (!claim) {
      settlements.set(work.message, { kind: 'retry', delaySeconds: CLAIM_RACE_RETRY_SECONDS });
    } else if (claim.claimed) {
      claimed.push({ work: pinnedWork(work, claim), claim });
    } else {
      settleUnclaimed(work, claim, now, moves, settlements);
    }
  }

  const outcomes: DeliveryOutcome[] = [];
  let deferredCount = 0;
  if (claimed.length > 0) {
    const library = await beforeSending(
      deps.db,
      claimed.map(({ claim }) => claim),
      () => loadLibrary(deps.db, needsOf(claimed.map((c) => c.work))),
    );
    lap('libraryMs');
    const paced = await paceSends(claimed, library, deps.pacer, Date.now());
    deferredCount = paced.deferred.length;
    // The sends that wait for their channel's pace are given back and put on the queue while
    // the others are sent: no statement of theirs stands between the claim and the sends.
    const deferring = deferSends(deps, paced.deferred, settlements);
    const recordFor = channelRecordsLoader(deps.cipher);
    // Leases are renewed while the sends run, so that only a dead consumer's claims expire.
    const results = await whileHoldingLeases(
      deps.db,
      paced.now.map(({ send }) => send.claim),
      () =>
        mapWithConcurrency(paced.now, SEND_CONCURRENCY, async ({ send, notBeforeMs }) => {
          await untilSlot(notBeforeMs);
          return attemptDelivery(send.work, send.claim, library, recordFor, deps, now);
        }),
    );
    await deferring;
    for (const result of results) {
      outcomes.push(result.outcome);
      moves.push(result.move);
      settlements.set(result.work.message, result.settlement);
    }
    lap('sendMs');
  }

  // The record statement stamps `enqueued_at` of the runs it moves, so their messages need no
  // statement of their own; only chained waits (rare) are stamped after sending.
  const moved = await recordAndMove(deps.db, outcomes, moves, deps.events, {
    stampEnqueued: true,
  });
  lap('recordMs');
  const next: DispatchRequest[] = [];
  for (const run of moved) {
    if (run.status === 'active' && !run.alreadyEnqueued) {
      next.push({ runId: run.runId, visit: run.visit, delaySeconds: run.dueInSeconds });
    }
  }
  const stamped = await enqueueStamped(deps.db, deps.sender, next);
  const chained = await enqueueRuns(deps.db, deps.sender, requests);
  if (claimed.length > 0) {
    log('info', 'dispatch: batch sent', {
      ...summarizeOutcomes(outcomes),
      ...(deferredCount > 0 ? { paced: deferredCount } : {}),
      ...lap('enqueueMs'),
    });
  }
  for (const [runs, enqueued] of [
    [next, stamped],
    [requests, chained],
  ] as const) {
    if (enqueued.error) {
      // The moves are committed; the sweep enqueues these runs once they are stale.
      log('error', 'dispatch: enqueueing next steps failed', {
        runs: runs.length,
        error: enqueued.error,
      });
    }
  }
  return settlements;
}

/**
 * Runs `step`, a statement between claiming the batch's sends and making them; if it fails,
 * the claims are given back first (releaseClaims: nothing was sent under them), so that the
 * queue's retry of the batch claims those runs at once rather than after their lease, with
 * the attempt unspent. Should giving them back fail too (the database is away), the leases
 * expire as before.
 */
async function beforeSending<T>(
  db: Database,
  claims: readonly ClaimedDelivery[],
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (error) {
    const held = claims.filter((claim) => claim.claimed);
    await releaseClaims(db, held).catch((releaseError: unknown) =>
      log('warn', 'dispatch: giving back claims failed; they expire with their lease', {
        claims: held.length,
        error: releaseError,
      }),
    );
    throw error;
  }
}

/**
 * Gives back the claims of the sends that wait for their channel's pace and puts their
 * messages back on the queue with the wait (edge/dispatch/pace.ts): a new message, so that the
 * wait spends none of the queue's retries, carrying its slot (the attempt it is for, its
 * time). The runs' `enqueued_at` is stamped by the same statement, so the sweep leaves them
 * alone meanwhile.
 * Never throws (the batch's other sends are under way): if the claims cannot be given back,
 * the messages come back once their leases ran out; if the queue refuses the messages, their
 * stamps are cleared and the sweep enqueues the runs.
 */
async function deferSends(
  deps: DispatchDeps,
  deferred: readonly DeferredSend<{ work: SendWork; claim: ClaimedDelivery }>[],
  settlements: Map<Message<unknown>, Settlement>,
): Promise<void> {
  if (deferred.length === 0) return;
  try {
    await deferClaims(
      deps.db,
      deferred.map(({ send, delaySeconds }) => ({ ...send.claim, delaySeconds })),
    );
  } catch (error) {
    log('warn', 'dispatch: giving back paced sends failed; they come back after their lease', {
      sends: deferred.length,
      error,
    });
    for (const { send } of deferred) {
      settlements.set(send.work.message, { kind: 'retry', delaySeconds: CLAIM_LEASE_SECONDS + 1 });
    }
    return;
  }
  const enqueued = await enqueueStamped(
    deps.db,
    deps.sender,
    deferred.map(({ send, delaySeconds, slotAtMs, perSecond }) => ({
      runId: send.work.run.id,
      visit: send.work.run.stepVisit,
      delaySeconds,
      // The attempt the slot is for: the one this claim would have made (it is given back).
      ...(slotAtMs !== null
        ? { slot: { attempt: send.claim.attempts, atMs: slotAtMs, perSecond } }
        : {}),
    })),
  );
  if (enqueued.error) {
    log('error', 'dispatch: enqueueing paced sends failed; the sweep enqueues them', {
      runs: deferred.length - enqueued.enqueued,
      error: enqueued.error,
    });
  }
}

/**
 * Milliseconds per phase of a batch, for its log line: each `lap(name)` records the time since
 * the previous one and returns the phases so far. Workers' clocks advance only across I/O, so
 * these are the phases' waits for the database, the providers and the queue; the CPU between
 * them (rendering, JSON) is not in them.
 */
function phaseClock() {
  let last = Date.now();
  const phases: Record<string, number> = {};
  return function lap(name: string): Record<string, number> {
    const now = Date.now();
    phases[name] = now - last;
    last = now;
    return phases;
  };
}

/** Sends per outcome, for the batch's one log line (failures have lines of their own). */
function summarizeOutcomes(outcomes: readonly DeliveryOutcome[]) {
  const count = (status: DeliveryOutcome['status']) =>
    outcomes.filter((outcome) => outcome.status === status).length;
  return { sent: count('sent'), failed: count('failed'), retrying: count('queued') };
}

/** True when `step` sends on the contact's last interacted channel (its claim pins it). */
function sendsToLastInteracted(step: SendWork['step']): boolean {
  return step.config.channel.kind === 'last_interacted';
}

/**
 * A Last Interacted send goes to the channel its claim pinned: the one it was loaded with,
 * unless a statement between the load and `claimDeliveries` pinned another (the claim keeps
 * the first one).
 */
function pinnedWork(work: SendWork, claim: ClaimedDelivery): SendWork {
  const pinned = claim.deliveryChannelId;
  const { run, step } = work;
  if (!pinned || !sendsToLastInteracted(step) || pinned === run.contact.lastInteractedChannelId) {
    return work;
  }
  return { ...work, run: { ...run, contact: { ...run.contact, lastInteractedChannelId: pinned } } };
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
 * A delivery someone else holds or has finished. Finished with the run still on this visit
 * means the step waited for the provider to confirm delivery (or, for rows written by hand or
 * by an older version, that the run was never moved): route it now, sending nothing. Held by a
 * live claim: come back when the lease ends, in case its holder died.
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
    case 'failed':
      moves.push(routeFinishedDelivery(run, step, claim));
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

/** Applies settlements to the batch's messages (ack, or retry with a delay). */
export function settle(settlements: Map<Message<unknown>, Settlement>): void {
  for (const [message, settlement] of settlements) {
    if (settlement.kind === 'ack') message.ack();
    else message.retry({ delaySeconds: queueDelay(settlement.delaySeconds) });
  }
}

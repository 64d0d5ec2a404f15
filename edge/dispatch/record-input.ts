import type { ProviderThread } from '../channels/types';

/**
 * What the record statement (record.ts, recordAndMove) is given for a batch: each send's
 * outcome and each run's move. Their own module, as record-events.ts plans the partner events
 * from them and record.ts uses that planner.
 */

/** What one send came to, as the delivery row records it. */
export interface DeliveryOutcome {
  deliveryId: string;
  /** The claim token: the row's `attempts` when this consumer claimed it. */
  attempts: number;
  /**
   * When this attempt was claimed (epoch ms, the database's clock): a delivery the record
   * creates is created as of then, when its first attempt began. Null: the record's time.
   */
  claimedAtMs: number | null;
  /** `queued` means "failed transiently, waiting for its retry". */
  status: 'sent' | 'failed' | 'queued';
  channelId: string | null;
  /**
   * The address the attempt was handed to its adapter with (deliveries.recipient): kept by the
   * delivery from its first attempt that had one on, a retry's never replacing it. Null when
   * the send was refused before any adapter was called.
   */
  recipient: string | null;
  reasonCode: string | null;
  reasonDetail: string | null;
  providerMessageId: string | null;
  contentSummary: string | null;
  messageIdHeader: string | null;
  /** The failure leaves the channel unable to send: put it in ERROR with the failure's detail. */
  channelError?: boolean;
  /**
   * For a failure that puts the channel into error (credentials refused, `channelError`): the
   * channel's `sendingState` the attempt was made with (library.ts). The channel goes into
   * error only while it is still that; null: it does not.
   */
  channelState?: string | null;
  /** SMS segments of a sent text; null otherwise. */
  segments: number | null;
  /** Set for a sent email: its Message-ID joins this workflow's thread with the contact. */
  thread: {
    workspaceId: string;
    workflowId: string;
    contactId: string;
    /** The provider's thread it joined (Gmail), kept for the thread's next email. */
    providerThread: ProviderThread | null;
  } | null;
}

/** How a run moves: to a step (a new visit), out of the workflow, or to a later retry. */
export interface RunMove {
  runId: string;
  /** The run's workspace, workflow and contact: what its events name. */
  workspaceId: string;
  workflowId: string;
  contactId: string;
  /** The visit the move starts from; a run that has left it is not moved again. */
  fromVisit: number;
  /**
   * The step of that visit (the loaded run's current step; a visit is at one step, so the
   * statement need not read the run twice to name it in `run.routed`).
   */
  fromStepId: string | null;
  /**
   * Apply only while this consumer still holds that delivery's claim, recording its outcome
   * (which must be in the same call). Null for moves that do not follow a send (waits, already
   * recorded sends).
   */
  afterDeliveryId: string | null;
  status: 'active' | 'completed' | 'exited';
  stepId: string | null;
  visit: number;
  /** The step is due this many seconds from now (a wait's length, a retry's backoff). */
  dueInSeconds: number;
  exitReason: string | null;
  /** A message for this move is already on its way (a queue retry): stamp `enqueued_at`. */
  alreadyEnqueued: boolean;
}

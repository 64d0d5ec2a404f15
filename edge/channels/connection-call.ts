import type { SendOutcome } from './types';

/**
 * A connection check's call to its provider (verify, release): what it answered, or why it
 * failed and whether asking again may help. The check turns a failure into its verdict with
 * `failedVerdict`, so every integration words `unreachable` and `rejected` alike.
 */
export type ConnectionCall<T extends object = object> = ({ ok: true } & T) | CallFailure;

export interface CallFailure {
  ok: false;
  transient: boolean;
  problem: string;
}

/** A call that got no answer (`callProvider`'s outcome): nothing is concluded, it may be retried. */
export function unanswered(outcome: SendOutcome): CallFailure {
  return { ok: false, transient: true, problem: outcome.status === 'failed' ? outcome.detail : '' };
}

/**
 * An answer the provider's failure table (or the shared HTTP classification) classified: its
 * detail, retried as the row says. An outcome that is no failure is an answer we do not
 * understand, which asking again would not change.
 */
export function refused(outcome: SendOutcome): CallFailure {
  return outcome.status === 'failed'
    ? { ok: false, transient: outcome.retryable, problem: outcome.detail }
    : { ok: false, transient: false, problem: 'unexpected answer' };
}

/** A failed call as the check's verdict: `unreachable` when it may be retried, else `rejected`. */
export function failedVerdict(failure: CallFailure): {
  verdict: 'rejected' | 'unreachable';
  problem: string;
} {
  return { verdict: failure.transient ? 'unreachable' : 'rejected', problem: failure.problem };
}

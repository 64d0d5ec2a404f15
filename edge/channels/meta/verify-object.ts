import type { ConnectionContext, VerifyResult } from '../connection';
import { callProvider, isSuccess } from '../http/classify';
import { graphHeaders, graphUrl } from './graph';
import { classifyGraphAnswer, type GraphFailureTable } from './graph-errors';

/**
 * Verifying a Meta channel's credentials by reading the Graph object it sends as (a WhatsApp
 * phone number, a Page, an Instagram account): `GET /<id>?fields=…` with its token proves the
 * token works and can see that object, without sending anything. A refusal Meta would repeat
 * (a bad token, an object the token cannot see) is `rejected`; no answer or a transient error
 * is `unreachable`.
 */
export async function verifyGraphObject(
  request: { objectId: string; accessToken: string; fields: string[] },
  context: ConnectionContext,
  classify: { table: GraphFailureTable; who: string },
  describe: (object: Record<string, unknown>) => string,
): Promise<VerifyResult> {
  const query = new URLSearchParams({ fields: request.fields.join(',') });
  const call = await callProvider(
    `${graphUrl(context.endpoints, request.objectId)}?${query}`,
    { method: 'GET', headers: graphHeaders(request.accessToken) },
    { who: classify.who, timeoutMs: context.timeoutMs },
  );
  if (!call.ok) {
    return {
      verdict: 'unreachable',
      problem: call.outcome.status === 'failed' ? call.outcome.detail : '',
    };
  }
  if (!isSuccess(call.answer)) {
    const outcome = classifyGraphAnswer(
      call.answer,
      classify.table,
      classify.who,
      context.now?.() ?? new Date(),
    );
    return outcome.status === 'failed'
      ? { verdict: outcome.retryable ? 'unreachable' : 'rejected', problem: outcome.detail }
      : { verdict: 'rejected', problem: 'unexpected answer' };
  }
  let object: Record<string, unknown> = {};
  try {
    object = JSON.parse(call.answer.body) as Record<string, unknown>;
  } catch {
    // A 2xx proves the token works even if the body is odd.
  }
  return { verdict: 'verified', detail: describe(object) };
}

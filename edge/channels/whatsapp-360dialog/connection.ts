import type { ChannelTemplate } from '../../../workflow/channel-templates';
import { readChannel } from '../channel-config';
import type { ChannelConnection, ConnectionContext, TemplatesResult } from '../connection';
import { callProvider, classifyHttpStatus, isSuccess } from '../http/classify';
import type { ChannelRecord } from '../types';
import { templateSummary } from '../whatsapp-meta/connection';
import { DIALOG360_API, dialog360Headers, dialog360Url } from './api';
import { whatsapp360dialogDefinition } from './definition';

/**
 * The number's templates: `GET /v1/configs/templates` answers `{ waba_templates: [...] }` in the
 * Graph's template shape (name, language, status, category, components), so the summary of
 * Meta's template listing reads them (360dialog docs, "Template Messages": get templates).
 */
async function listTemplates(
  channel: ChannelRecord,
  context: ConnectionContext,
): Promise<TemplatesResult> {
  const read = readChannel(whatsapp360dialogDefinition, channel, {
    allowPrivateUrls: context.allowPrivateUrls,
  });
  if (!read.ok) return { ok: false, problem: read.detail };
  const call = await callProvider(
    `${dialog360Url(context.endpoints, 'v1/configs/templates')}?limit=1000`,
    { method: 'GET', headers: dialog360Headers(read.credentials?.apiKey ?? '') },
    { who: DIALOG360_API, timeoutMs: context.timeoutMs },
  );
  if (!call.ok) {
    return { ok: false, problem: call.outcome.status === 'failed' ? call.outcome.detail : '' };
  }
  if (!isSuccess(call.answer)) {
    const outcome = classifyHttpStatus(call.answer, DIALOG360_API, context.now?.() ?? new Date());
    return { ok: false, problem: outcome.status === 'failed' ? outcome.detail : '' };
  }
  let listed: unknown;
  try {
    listed = (JSON.parse(call.answer.body) as { waba_templates?: unknown }).waba_templates;
  } catch {
    return { ok: false, problem: `${DIALOG360_API} answered with something that is not JSON` };
  }
  const templates: ChannelTemplate[] = [];
  for (const raw of Array.isArray(listed) ? listed : []) {
    const template = raw && typeof raw === 'object' ? templateSummary(raw) : null;
    if (template) templates.push(template);
  }
  return { ok: true, templates };
}

/**
 * Verifying reads the number's webhook configuration (`GET /v1/configs/webhook`, 360dialog docs,
 * "Webhook URL" via the API): it proves the API key without sending anything, and says where
 * the webhooks go now.
 */
export const whatsapp360dialogConnection: ChannelConnection = {
  async verify(channel, context) {
    const read = readChannel(whatsapp360dialogDefinition, channel, {
      allowPrivateUrls: context.allowPrivateUrls,
    });
    if (!read.ok) return { verdict: 'rejected', problem: read.detail };
    const call = await callProvider(
      dialog360Url(context.endpoints, 'v1/configs/webhook'),
      { method: 'GET', headers: dialog360Headers(read.credentials?.apiKey ?? '') },
      { who: DIALOG360_API, timeoutMs: context.timeoutMs },
    );
    if (!call.ok) {
      const problem = call.outcome.status === 'failed' ? call.outcome.detail : '';
      return { verdict: 'unreachable', problem };
    }
    if (!isSuccess(call.answer)) {
      const outcome = classifyHttpStatus(call.answer, DIALOG360_API, context.now?.() ?? new Date());
      if (outcome.status !== 'failed') return { verdict: 'rejected', problem: 'unexpected answer' };
      return { verdict: outcome.retryable ? 'unreachable' : 'rejected', problem: outcome.detail };
    }
    let url: unknown;
    try {
      url = (JSON.parse(call.answer.body) as { url?: unknown }).url;
    } catch {
      // A 2xx proves the key even if the body is odd.
    }
    return {
      verdict: 'verified',
      detail: typeof url === 'string' && url ? `360dialog webhook ${url}` : '360dialog API key',
    };
  },
  listTemplates,
};

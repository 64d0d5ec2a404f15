import type { ChannelTemplate } from '../../../workflow/channel-templates';
import { readChannel } from '../channel-config';
import {
  type ChannelConnection,
  type ConnectionContext,
  MAX_LISTED_TEMPLATES,
  type TemplatesResult,
} from '../connection';
import { callProvider, classifyHttpStatus, isSuccess } from '../http/classify';
import type { ChannelRecord } from '../types';
import { templateSummary } from '../whatsapp-meta/connection';
import { DIALOG360_API, dialog360Headers, dialog360Url } from './api';
import { whatsapp360dialogDefinition } from './definition';

/** Templates asked for per request (`limit`). */
const TEMPLATES_PER_PAGE = 1000;

/**
 * The number's templates: `GET /v1/configs/templates` answers `{ count, total, offset,
 * waba_templates: [...] }` in the Graph's template shape (name, language, status, category,
 * components), so the summary of Meta's template listing reads them (360dialog docs,
 * "Template Messages": get templates, with `limit` and `offset`). A WABA has up to 250
 * template names, each in any number of languages, each language one entry: more than one
 * page is read (`offset`) while `total` says entries remain, up to MAX_LISTED_TEMPLATES.
 */
async function listTemplates(
  channel: ChannelRecord,
  context: ConnectionContext,
): Promise<TemplatesResult> {
  const read = readChannel(whatsapp360dialogDefinition, channel, {
    allowPrivateUrls: context.allowPrivateUrls,
  });
  if (!read.ok) return { ok: false, problem: read.detail };
  const templates: ChannelTemplate[] = [];
  let offset = 0;
  while (templates.length < MAX_LISTED_TEMPLATES) {
    const query = new URLSearchParams({
      limit: String(TEMPLATES_PER_PAGE),
      ...(offset > 0 ? { offset: String(offset) } : {}),
    });
    const call = await callProvider(
      `${dialog360Url(context.endpoints, 'v1/configs/templates')}?${query}`,
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
    let body: { waba_templates?: unknown; total?: unknown };
    try {
      body = JSON.parse(call.answer.body) as typeof body;
    } catch {
      return { ok: false, problem: `${DIALOG360_API} answered with something that is not JSON` };
    }
    const listed = Array.isArray(body.waba_templates) ? (body.waba_templates as unknown[]) : [];
    for (const raw of listed) {
      const template =
        raw && typeof raw === 'object' ? templateSummary(raw as Record<string, unknown>) : null;
      if (template) templates.push(template);
    }
    offset += listed.length;
    const total = typeof body.total === 'number' ? body.total : null;
    if (listed.length === 0 || total === null || offset >= total) {
      return { ok: true, templates };
    }
  }
  return { ok: true, templates: templates.slice(0, MAX_LISTED_TEMPLATES), truncated: true };
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

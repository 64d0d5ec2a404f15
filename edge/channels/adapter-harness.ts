import { type RunningWorker, startWorker } from '../../test/workerd';
import type { RenderMessageInput } from '../render/message';
import type { RenderedMessage } from '../render/types';
import type { OutboundMessage, ProviderEndpoints, SendOutcome } from './types';

/**
 * Test support: runs edge/channels/test-entry.ts in workerd and calls the adapters and the
 * renderer through it, so that channel tests exercise the real runtime (TCP sockets, TLS,
 * fetch, MJML under nodejs_compat).
 */

export interface AdapterWorker {
  send(
    message: OutboundMessage,
    options: {
      allowPrivateUrls: boolean;
      timeoutMs?: number;
      now?: Date;
      endpoints?: ProviderEndpoints;
      callbackOrigin?: string;
    },
  ): Promise<SendOutcome>;
  render(input: RenderMessageInput, options?: { cache?: boolean }): Promise<RenderedMessage>;
  dispose(): Promise<void>;
}

async function post<T>(worker: RunningWorker, path: string, body: unknown): Promise<T> {
  const response = await worker.dispatchFetch(`http://adapters${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** Starts the adapter test Worker; `trustedCertificates` lets it trust a test TLS server. */
export async function startAdapterWorker(
  options: { trustedCertificates?: string[] } = {},
): Promise<AdapterWorker> {
  const worker = await startWorker({
    entry: 'edge/channels/test-entry.ts',
    ...(options.trustedCertificates ? { trustedCertificates: options.trustedCertificates } : {}),
  });
  return {
    send: (message, { now, ...rest }) =>
      post(worker, '/send', {
        message,
        options: { ...rest, ...(now ? { now: now.toISOString() } : {}) },
      }),
    render: (input, renderOptions = {}) =>
      post(worker, '/render', {
        input: {
          ...input,
          ctx: { ...input.ctx, now: input.ctx.now.toISOString() },
          snippets: [...input.snippets],
          files: [...input.files],
        },
        cache: renderOptions.cache,
      }),
    dispose: () => worker.dispose(),
  };
}

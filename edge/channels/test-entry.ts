import { connect } from 'cloudflare:sockets';
import { renderMessage } from '../render/message';
import { RenderError } from '../render/render-error';
import type { MediaFile } from '../render/types';
import { adapterFor } from './registry';
import type { OutboundMessage, ProviderEndpoints } from './types';

// wrangler.toml declares Durable Objects, and wrangler bundles every entry with them: a test
// entry exports the classes too (they are never bound here).
export * from '../durable-objects';

/**
 * A Worker entry for tests only: exposes the channel adapters and the renderer over HTTP so
 * that Node-side tests drive them inside real workerd (edge/channels/*.test.ts start it with
 * test/workerd.ts). Not part of the production Worker.
 */

interface SendRequest {
  message: OutboundMessage;
  options: {
    allowPrivateUrls: boolean;
    timeoutMs?: number;
    now?: string;
    endpoints?: ProviderEndpoints;
    callbackOrigin?: string;
  };
}

interface RenderRequest {
  input: Omit<Parameters<typeof renderMessage>[0], 'ctx' | 'snippets' | 'files'> & {
    ctx: Omit<Parameters<typeof renderMessage>[0]['ctx'], 'now'> & { now: string };
    snippets: [string, string][];
    files: [string, MediaFile][];
  };
  cache?: boolean;
}

async function send(request: Request): Promise<Response> {
  const { message, options } = (await request.json()) as SendRequest;
  const adapter = adapterFor(message.channel);
  if (!adapter)
    return Response.json({ error: `no adapter for ${message.channel.type}` }, { status: 400 });
  const now = options.now ? new Date(options.now) : undefined;
  const outcome = await adapter.send(message, {
    allowPrivateUrls: options.allowPrivateUrls,
    connectTcp: connect,
    ...(options.endpoints ? { endpoints: options.endpoints } : {}),
    ...(options.callbackOrigin ? { callbackOrigin: options.callbackOrigin } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(now ? { now: () => now } : {}),
  });
  return Response.json(outcome);
}

async function render(request: Request): Promise<Response> {
  const { input, cache } = (await request.json()) as RenderRequest;
  try {
    const rendered = await renderMessage(
      {
        ...input,
        ctx: { ...input.ctx, now: new Date(input.ctx.now) },
        snippets: new Map(input.snippets),
        files: new Map(input.files),
      },
      { cache },
    );
    return Response.json(rendered);
  } catch (error) {
    if (error instanceof RenderError)
      return Response.json({ error: error.message }, { status: 422 });
    throw error;
  }
}

export default {
  async fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (request.method === 'POST' && pathname === '/send') return send(request);
    if (request.method === 'POST' && pathname === '/render') return render(request);
    return new Response('not found', { status: 404 });
  },
};

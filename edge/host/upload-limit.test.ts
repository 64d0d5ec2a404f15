import { Hono } from 'hono';
import { expect, test } from 'vitest';
import type { AppEnv } from './env';
import { MAX_MULTIPART_BYTES, refuseOversizeUploads } from './upload-limit';

const app = new Hono<AppEnv>();
app.post('/graphql', refuseOversizeUploads(), (c) => c.text('read'));

function post(type: string, length: number) {
  return app.request('/graphql', {
    method: 'POST',
    headers: { 'content-type': type, 'content-length': String(length) },
    body: 'x',
  });
}

test('a multipart request declared larger than any upload is refused unread with 413', async () => {
  const refused = await post('multipart/form-data; boundary=x', MAX_MULTIPART_BYTES + 1);
  expect(refused.status).toBe(413);
  expect(await refused.json()).toMatchObject({
    errors: [{ extensions: { code: 'PAYLOAD_TOO_LARGE' } }],
  });
  expect((await post('multipart/form-data; boundary=x', MAX_MULTIPART_BYTES)).status).toBe(200);
  // Other bodies are left to the API's own limits.
  expect((await post('application/json', MAX_MULTIPART_BYTES + 1)).status).toBe(200);
});

/** A chunked body (no Content-Length) of `total` bytes, made as it is read; counts what was read. */
function chunkedBody(total: number) {
  const chunk = new Uint8Array(1024 * 1024);
  const read = { bytes: 0 };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (read.bytes >= total) return controller.close();
      read.bytes += chunk.length;
      controller.enqueue(chunk);
    },
  });
  return { body, read };
}

test('a chunked multipart request is read only up to the limit, then refused with 413', async () => {
  // The handler reads the body as Yoga does to parse the form.
  const reading = new Hono<AppEnv>();
  reading.post('/graphql', refuseOversizeUploads(), async (c) => {
    try {
      return c.text(String((await c.req.arrayBuffer()).byteLength));
    } catch {
      return c.text('unreadable', 400);
    }
  });
  const send = (body: ReadableStream<Uint8Array>) =>
    reading.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      body,
      duplex: 'half',
    } as RequestInit);

  const oversize = chunkedBody(MAX_MULTIPART_BYTES * 4);
  const refused = await send(oversize.body);
  expect(refused.status).toBe(413);
  expect(await refused.json()).toMatchObject({
    errors: [{ extensions: { code: 'PAYLOAD_TOO_LARGE' } }],
  });
  // Reading stopped at the limit (give or take a chunk), not at the end of the body.
  expect(oversize.read.bytes).toBeLessThanOrEqual(MAX_MULTIPART_BYTES + 2 * 1024 * 1024);

  const within = chunkedBody(2 * 1024 * 1024);
  const passed = await send(within.body);
  expect(passed.status).toBe(200);
  expect(await passed.text()).toBe(String(2 * 1024 * 1024));
});

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

import { Hono } from 'hono';
import { expect, test } from 'vitest';
import { corsOnHostResponses } from './cors';
import type { AppEnv } from './env';
import { MAX_MULTIPART_BYTES, refuseOversizeUploads } from './upload-limit';

const ORIGIN = 'https://app.example.com';

// The /graphql route's chain as edge/host/app.ts builds it, with Yoga stood in for: it answers
// with its own CORS headers, or throws as a request the host fails would.
const app = new Hono<AppEnv>();
app.onError((_error, c) => c.json({ error: 'Internal server error' }, 500));
app.all('/graphql', corsOnHostResponses(), refuseOversizeUploads(), (c) => {
  if (c.req.header('x-fail')) throw new Error('boom');
  return new Response('{}', {
    headers: { 'access-control-allow-origin': 'https://yoga.example.com', vary: 'Origin' },
  });
});

function post(headers: Record<string, string>) {
  return app.request('/graphql', { method: 'POST', headers, body: 'x' });
}

test("a browser can read the host's own 413 and 500 on /graphql (CORS headers as Yoga's)", async () => {
  const refused = await post({
    origin: ORIGIN,
    'content-type': 'multipart/form-data; boundary=x',
    'content-length': String(MAX_MULTIPART_BYTES + 1),
  });
  expect(refused.status).toBe(413);
  expect(refused.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  expect(refused.headers.get('access-control-allow-credentials')).toBe('true');
  expect(refused.headers.get('vary')).toMatch(/Origin/);
  expect(await refused.json()).toMatchObject({
    errors: [{ extensions: { code: 'PAYLOAD_TOO_LARGE' } }],
  });

  const failed = await post({ origin: ORIGIN, 'x-fail': '1' });
  expect(failed.status).toBe(500);
  expect(failed.headers.get('access-control-allow-origin')).toBe(ORIGIN);
});

test("Yoga's own CORS headers are left alone, and requests without Origin get none", async () => {
  const answered = await post({ origin: ORIGIN, 'content-type': 'application/json' });
  expect(answered.headers.get('access-control-allow-origin')).toBe('https://yoga.example.com');
  expect(answered.headers.get('vary')).toBe('Origin');
  const sameOrigin = await post({
    'content-type': 'multipart/form-data; boundary=x',
    'content-length': String(MAX_MULTIPART_BYTES + 1),
  });
  expect(sameOrigin.status).toBe(413);
  expect(sameOrigin.headers.get('access-control-allow-origin')).toBeNull();
});

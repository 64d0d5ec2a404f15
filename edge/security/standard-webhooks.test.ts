import { createHmac } from 'node:crypto';
import { expect, test } from 'vitest';
import {
  generateSigningSecret,
  InvalidSigningSecretError,
  signStandardWebhook,
  standardWebhookHeaders,
} from './standard-webhooks';

// The signing vector from the Standard Webhooks reference library's test suite.
const REFERENCE = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

test('signs exactly as the Standard Webhooks reference vector', async () => {
  const { secret, id, timestamp, body, signature } = REFERENCE;
  expect(await signStandardWebhook(secret, id, timestamp, body)).toBe(signature);
});

test('builds the three headers with the timestamp in seconds', async () => {
  const { secret, id, timestamp, body, signature } = REFERENCE;
  const headers = await standardWebhookHeaders(secret, id, new Date(timestamp * 1000 + 999), body);
  expect(headers).toEqual({
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signature,
  });
});

test('refuses a secret that is not base64', async () => {
  await expect(signStandardWebhook('whsec_not base64!', 'id', 1, '{}')).rejects.toBeInstanceOf(
    InvalidSigningSecretError,
  );
  await expect(signStandardWebhook('whsec_', 'id', 1, '{}')).rejects.toBeInstanceOf(
    InvalidSigningSecretError,
  );
});

test('generates whsec_ secrets that sign', async () => {
  const secret = generateSigningSecret();
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
  expect(await signStandardWebhook(secret, 'id', 1, '{}')).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
});

test('signs with each of more secrets than the isolate keeps keys for, every time as the first time', async () => {
  // Signs twice, in turns, with more secrets than the key cache holds, and checks each signature
  // with node:crypto (not the signer under test): an evicted or reused key would sign wrongly.
  const secrets = Array.from({ length: 80 }, () => generateSigningSecret());
  for (let round = 0; round < 2; round++) {
    for (const [index, secret] of secrets.entries()) {
      const body = `{"round":${round},"index":${index}}`;
      const expected = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
        .update(`id.1.${body}`)
        .digest('base64');
      expect(await signStandardWebhook(secret, 'id', 1, body)).toBe(`v1,${expected}`);
    }
  }
});

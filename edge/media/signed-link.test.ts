import { expect, test } from 'vitest';
import { generateCredentialsKey } from '../../db/credentials';
import {
  EMAIL_LINK_SECONDS,
  linkExpiry,
  MediaLinkSigner,
  PROVIDER_LINK_SECONDS,
  parseLinkedName,
} from './signed-link';

const key = generateCredentialsKey();
const file = {
  id: '6f1c2b9e-1d2a-4c3b-9e8f-0a1b2c3d4e5f',
  workspaceId: '0b7f3c8e-2f55-4d8e-9d0a-000000000001',
};
const now = new Date('2030-01-02T10:00:00Z');
const later = new Date('2030-01-02T11:00:00Z');

async function parts(signer: MediaLinkSigner, at = later) {
  const url = new URL(await signer.link(file, at));
  return {
    url,
    expires: url.searchParams.get('expires'),
    signature: url.searchParams.get('signature'),
  };
}

test('a link names the file at the origin and holds until it expires', async () => {
  const signer = new MediaLinkSigner(key, 'https://sendflow.example.com');
  const { url, expires, signature } = await parts(signer);
  // No type given: the path is the bare id (links before extensions looked so).
  expect(url.origin + url.pathname).toBe(`https://sendflow.example.com/media/${file.id}`);
  expect(expires).toBe(String(later.getTime() / 1000));
  expect(await signer.check(file, expires, signature, now)).toBe('ok');
  expect(await signer.check(file, expires, signature, new Date(later.getTime() + 1000))).toBe(
    'expired',
  );
});

test("a link ends in its file type's extension, as Viber requires of a picture's URL", async () => {
  const signer = new MediaLinkSigner(key, 'https://sendflow.example.com');
  const path = async (contentType: string) =>
    new URL(await signer.link({ ...file, contentType }, later)).pathname;
  // "a .jpeg, .png or .gif file extension as the last path segment" (Picture message).
  expect(await path('image/jpeg')).toBe(`/media/${file.id}.jpeg`);
  expect(await path('image/png')).toBe(`/media/${file.id}.png`);
  expect(await path('image/gif')).toBe(`/media/${file.id}.gif`);
  expect(await path('application/pdf')).toBe(`/media/${file.id}.pdf`);
  // A type the library does not store gets no extension rather than a wrong one.
  expect(await path('application/x-unknown')).toBe(`/media/${file.id}`);
  // The signature does not cover the extension: the same query holds either way.
  const withType = new URL(await signer.link({ ...file, contentType: 'image/png' }, later));
  const without = new URL(await signer.link(file, later));
  expect(withType.search).toBe(without.search);
});

test('a link names its file by id, with or without an extension', () => {
  expect(parseLinkedName(`${file.id}.jpeg`)).toEqual({ fileId: file.id, extension: 'jpeg' });
  expect(parseLinkedName(file.id)).toEqual({ fileId: file.id, extension: null });
  for (const bad of [
    '',
    'cat.png',
    `${file.id}.`,
    `${file.id}.png.exe`,
    `${file.id}.PNG`,
    `../${file.id}`,
  ]) {
    expect(parseLinkedName(bad), bad).toBeNull();
  }
});

test('a changed expiry, file, workspace or key makes the link invalid', async () => {
  const signer = new MediaLinkSigner(key, 'https://sendflow.example.com');
  const { expires, signature } = await parts(signer);
  expect(await signer.check(file, String(Number(expires) + 1), signature, now)).toBe('invalid');
  expect(await signer.check({ ...file, id: file.workspaceId }, expires, signature, now)).toBe(
    'invalid',
  );
  expect(await signer.check({ ...file, workspaceId: file.id }, expires, signature, now)).toBe(
    'invalid',
  );
  const other = new MediaLinkSigner(generateCredentialsKey(), 'https://sendflow.example.com');
  expect(await other.check(file, expires, signature, now)).toBe('invalid');
  for (const [e, s] of [
    [null, signature],
    [expires, null],
    ['-1', signature],
    [expires, `${signature}x`],
    [expires, signature!.replace(/./, '*')],
  ]) {
    expect(await signer.check(file, e ?? null, s ?? null, now)).toBe('invalid');
  }
});

test('expiries are rounded up to the hour, so one hour of sends shares a link', () => {
  const provider = linkExpiry('provider', new Date('2030-01-02T10:20:00Z'));
  expect(provider.toISOString()).toBe(
    new Date(Date.parse('2030-01-02T11:00:00Z') + PROVIDER_LINK_SECONDS * 1000).toISOString(),
  );
  expect(linkExpiry('provider', new Date('2030-01-02T10:59:59Z'))).toEqual(provider);
  const email = linkExpiry('email', new Date('2030-01-02T10:20:00Z'));
  expect(email.getTime() - Date.parse('2030-01-02T11:00:00Z')).toBe(EMAIL_LINK_SECONDS * 1000);
});

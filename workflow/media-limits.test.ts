import { expect, test } from 'vitest';
import { type MediaLimits, mediaKindFor, mediaLimitProblem } from './media-limits';

const MEGABYTE = 1024 * 1024;
const limits: MediaLimits = {
  image: { contentTypes: ['image/jpeg', 'image/png'], maxBytes: 5 * MEGABYTE },
  document: { contentTypes: [], maxBytes: 20 * MEGABYTE },
};

test('a type goes out as the kind that names it, else as a kind that takes any type', () => {
  expect(mediaKindFor(limits, 'IMAGE/PNG')).toBe('image');
  expect(mediaKindFor(limits, 'application/pdf')).toBe('document');
  expect(mediaKindFor({ image: limits!.image! }, 'application/pdf')).toBeUndefined();
  expect(mediaKindFor(null, 'image/png')).toBeUndefined();
});

test('names the size or type a channel refuses; channels without limits take anything', () => {
  const file = { name: 'cat.png', contentType: 'image/png', sizeBytes: 5 * MEGABYTE };
  expect(mediaLimitProblem(limits, file, 'Telegram')).toBeNull();
  expect(mediaLimitProblem(limits, { ...file, sizeBytes: 5 * MEGABYTE + 1 }, 'Telegram')).toBe(
    'cat.png is 5 MB, over the 5 MB Telegram takes for image files',
  );
  expect(
    mediaLimitProblem({ image: limits!.image! }, { ...file, contentType: 'video/mp4' }, 'X'),
  ).toBe('X cannot send video/mp4 files (cat.png)');
  expect(mediaLimitProblem(null, { ...file, sizeBytes: 10 ** 9 }, 'Email')).toBeNull();
});

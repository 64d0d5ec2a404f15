import { expect, test } from 'vitest';
import { checkFileName } from './file-name';
import { checkUpload } from './upload-check';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const png = (size = 64) => {
  const bytes = new Uint8Array(size);
  bytes.set(PNG_SIGNATURE);
  return bytes;
};
const text = (value: string) => new TextEncoder().encode(value);

test('takes the type from the bytes, whatever the name says', async () => {
  expect(await checkUpload('photo', png())).toMatchObject({
    ok: true,
    contentType: 'image/png',
    kind: 'image',
  });
  expect(await checkUpload('notes.txt', text('Hello,\tworld\r\n'))).toMatchObject({
    ok: true,
    contentType: 'text/plain',
    kind: 'document',
  });
  expect(await checkUpload('report.pdf', text('%PDF-1.7\n...'))).toMatchObject({
    ok: true,
    contentType: 'application/pdf',
    name: 'report.pdf',
  });
});

test('refuses executables, binaries of unknown type and names claiming another type', async () => {
  const exe = new Uint8Array(256);
  exe.set([0x4d, 0x5a]);
  expect(await checkUpload('cat.png', exe)).toMatchObject({
    ok: false,
    code: 'FILE_TYPE_NOT_ALLOWED',
  });
  const elf = new Uint8Array(256);
  elf.set([0x7f, 0x45, 0x4c, 0x46]);
  expect(await checkUpload('tool', elf)).toMatchObject({
    ok: false,
    code: 'FILE_TYPE_NOT_ALLOWED',
  });
  expect(await checkUpload('blob.bin', Uint8Array.from([0, 1, 2, 3, 0xff]))).toMatchObject({
    ok: false,
    code: 'FILE_TYPE_NOT_ALLOWED',
  });
  expect(await checkUpload('page.html', text('<script>alert(1)</script>'))).toMatchObject({
    ok: true,
    contentType: 'text/plain',
  });
  expect(await checkUpload('invoice.pdf', png())).toMatchObject({
    ok: false,
    code: 'FILE_TYPE_MISMATCH',
    path: 'name',
  });
});

test('refuses empty files and files over their kind cap', async () => {
  expect(await checkUpload('a.png', new Uint8Array())).toMatchObject({
    ok: false,
    code: 'FILE_EMPTY',
  });
  const big = await checkUpload('big.png', png(10 * 1024 * 1024 + 1));
  expect(big).toMatchObject({ ok: false, code: 'FILE_TOO_LARGE', path: 'file' });
  expect(big.ok || big.message).toBe(
    'big.png is 10 MB, over the 10 MB the library takes for image files',
  );
  expect(await checkUpload('ok.png', png(10 * 1024 * 1024))).toMatchObject({ ok: true });
});

test('file names: trimmed and normalised; separators, controls and bidi overrides refused', () => {
  expect(checkFileName('  Cafe\u0301 menu.pdf ')).toEqual({ ok: true, name: 'Café menu.pdf' });
  for (const name of [
    '',
    '   ',
    'a/b.png',
    'a\\b.png',
    'line\nbreak.png',
    'tab\t.png',
    'nul\0.png',
    'x\u202Egnp.exe',
    '.',
    '..',
    'é'.repeat(256),
  ]) {
    expect(checkFileName(name).ok, JSON.stringify(name)).toBe(false);
  }
});

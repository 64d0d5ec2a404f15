import { expect, test } from 'vitest';
import { mediaLimitProblem } from '../../workflow/media-limits';
import { messengerMetaDefinition } from '../channels/messenger-meta/definition';
import { WHATSAPP_MEDIA_LIMITS } from '../channels/whatsapp-meta/definition';
import { checkFileName } from './file-name';
import { checkUpload, nameTypeMismatch } from './upload-check';
import { linkExtension } from './upload-types';

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
    // Every Bidi_Control character: the Arabic letter mark too, not only LRM and RLM.
    'x\u061Cgnp.exe',
    '.',
    '..',
    'é'.repeat(256),
  ]) {
    expect(checkFileName(name).ok, JSON.stringify(name)).toBe(false);
  }
});

const ascii = (value: string) => new TextEncoder().encode(value);

/** An Ogg page whose first packet is `OpusHead`: a voice note as WhatsApp and phones record it. */
function oggOpus(): Uint8Array {
  const bytes = new Uint8Array(64);
  bytes.set(ascii('OggS'));
  bytes[26] = 1; // one segment
  bytes[27] = 19; // of the OpusHead packet's length
  bytes.set(ascii('OpusHead'), 28);
  return bytes;
}

/** An MPEG-4 file of major brand `M4A `: an .m4a, as phones' voice memos are. */
function m4a(): Uint8Array {
  const bytes = new Uint8Array(64);
  new DataView(bytes.buffer).setUint32(0, 24);
  bytes.set(ascii('ftypM4A \0\0\0\0M4A isom'), 4);
  return bytes;
}

test('stores OGG/Opus and M4A audio under the types the channels take', async () => {
  // file-type names Ogg Opus `audio/ogg; codecs=opus`: the parameter is not part of the type.
  const voice = await checkUpload('voice.ogg', oggOpus());
  expect(voice).toMatchObject({ ok: true, contentType: 'audio/ogg', kind: 'audio' });
  // file-type names M4A `audio/x-m4a`, which no channel lists; it is `audio/mp4` (RFC 4337).
  const memo = await checkUpload('memo.m4a', m4a());
  expect(memo).toMatchObject({ ok: true, contentType: 'audio/mp4', kind: 'audio' });
  for (const file of [voice, memo]) {
    if (!file.ok) continue;
    const facts = { name: file.name, contentType: file.contentType, sizeBytes: file.sizeBytes };
    expect(mediaLimitProblem(WHATSAPP_MEDIA_LIMITS, facts, 'WhatsApp')).toBeNull();
  }
  if (memo.ok) {
    const facts = { name: memo.name, contentType: memo.contentType, sizeBytes: memo.sizeBytes };
    expect(mediaLimitProblem(messengerMetaDefinition.mediaLimits, facts, 'Messenger')).toBeNull();
  }
  // Links to an M4A name the extension it is known by.
  expect(linkExtension('audio/mp4')).toBe('m4a');
});

test('stores text that file-type names by its markup as text/plain, like any other text', async () => {
  // file-type reads `<?xml` as application/xml and `BEGIN:VCARD` as text/vcard; the library
  // stores neither type, but both are plain UTF-8 text, which it stores as text/plain (as it
  // does an SVG or HTML page without a prolog): served as text, never rendered.
  for (const [name, content] of [
    [
      'logo.svg',
      '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>',
    ],
    ['invoice.xml', '\uFEFF<?xml version="1.0"?><Invoice><ID>42</ID></Invoice>'],
    ['ada.vcf', 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\nEND:VCARD\r\n'],
  ] as const) {
    expect(await checkUpload(name, text(content)), name).toMatchObject({
      ok: true,
      contentType: 'text/plain',
      kind: 'document',
    });
  }
  // A binary of a type the library does not store is still refused.
  const exe = new Uint8Array(256);
  exe.set(ascii('MZ'));
  expect(await checkUpload('tool.txt', exe)).toMatchObject({ code: 'FILE_TYPE_NOT_ALLOWED' });
});

test('refuses a name with an extension mail providers refuse to carry (Gmail bounces the email)', async () => {
  for (const [name, bytes] of [
    ['setup.exe', png()],
    ['run.bat', text('del /q *\r\n')],
    ['app.JS', text('alert(1)\n')],
    ['macro.vbs', text('MsgBox "hi"\n')],
  ] as const) {
    expect(await checkUpload(name, bytes), name).toMatchObject({
      ok: false,
      code: 'FILE_TYPE_MISMATCH',
      path: 'name',
    });
    // A rename to such a name is refused alike.
    expect(nameTypeMismatch(name, 'image/png'), name).not.toBeNull();
  }
  expect(await checkUpload('notes.js.txt', text('alert(1)\n'))).toMatchObject({ ok: true });
});

test('a name that ends in dots still claims the extension before them (Windows drops them on save)', async () => {
  expect(await checkUpload('invoice.pdf.', png())).toMatchObject({
    ok: false,
    code: 'FILE_TYPE_MISMATCH',
    path: 'name',
  });
  expect(await checkUpload('setup.exe..', png())).toMatchObject({
    ok: false,
    code: 'FILE_TYPE_MISMATCH',
  });
  expect(nameTypeMismatch('invoice.pdf.', 'image/png')).not.toBeNull();
  expect(await checkUpload('cat.png.', png())).toMatchObject({ ok: true, name: 'cat.png.' });
});

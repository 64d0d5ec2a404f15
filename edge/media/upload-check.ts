import { formatBytes, type MediaKind } from '../../workflow/media-limits';
import type { ValidationCode } from '../../workflow/validation-issue';
import { checkFileName, fileExtension } from './file-name';
import { sniffContentType } from './sniff';
import { UPLOAD_MAX_BYTES, UPLOAD_TYPES } from './upload-types';

/** An upload the library can store, with what its bytes are. */
export interface AcceptedUpload {
  ok: true;
  name: string;
  contentType: string;
  kind: MediaKind;
  sizeBytes: number;
}

/** An upload refused, with the issue to report at `file` or `name`. */
export interface RefusedUpload {
  ok: false;
  code: ValidationCode;
  path: 'file' | 'name';
  message: string;
}

/** Every extension the library knows, to catch a name that claims another type. */
const KNOWN_EXTENSIONS = new Set(Object.values(UPLOAD_TYPES).flatMap((type) => type.extensions));

/**
 * Extensions of programs and scripts, which Gmail refuses to carry whatever the bytes are (it
 * bounces an email with such an attachment; Gmail Help "File types blocked in Gmail"), and
 * which a reader's system would run once saved. The library's types never are these, so a
 * name ending in one claims a type the bytes are not (a text file named `run.bat`).
 */
const EXECUTABLE_EXTENSIONS: ReadonlySet<string> = new Set(
  (
    'ade adp apk appx appxbundle bat cab chm cmd com cpl diagcab diagcfg diagpkg dll dmg ex ' +
    'ex_ exe hta img ins iso isp jar jnlp js jse lib lnk mde mjs msc msi msix msixbundle msp ' +
    'mst nsh pif ps1 scr sct shb sys vb vbe vbs vhd vxd wsc wsf wsh xll'
  ).split(' '),
);

/**
 * Why an upload whose bytes are `contentType` may not be named `name`, or null: a known
 * extension in the name that claims another type (a PNG named `invoice.pdf`), or the extension
 * of a program or script (EXECUTABLE_EXTENSIONS). Checked when the file is uploaded and
 * whenever it is renamed, so a name never lies about the bytes.
 */
export function nameTypeMismatch(name: string, contentType: string): string | null {
  // Windows drops trailing dots and spaces when it saves a file: `invoice.pdf.` is saved as
  // `invoice.pdf`, so that is the extension the name claims.
  const extension = fileExtension(name.replace(/[. ]+$/, ''));
  if (extension && EXECUTABLE_EXTENSIONS.has(extension)) {
    return `${name} is named .${extension}, a program's extension that email providers refuse, but its content is ${contentType}`;
  }
  const extensions = UPLOAD_TYPES[contentType]?.extensions ?? [];
  if (!extension || !KNOWN_EXTENSIONS.has(extension) || extensions.includes(extension)) {
    return null;
  }
  return `${name} is named .${extension} but its content is ${contentType}`;
}

/**
 * Decides whether `bytes` named `rawName` may enter the library: the name is a plain file name
 * (edge/media/file-name.ts), the file is not empty, its type from the bytes is one the library
 * stores (UPLOAD_TYPES), a known extension in the name matches that type (an executable named
 * `cat.png` is refused, not relabelled), and it is within its kind's size cap.
 */
export async function checkUpload(
  rawName: string,
  bytes: Uint8Array,
): Promise<AcceptedUpload | RefusedUpload> {
  const name = checkFileName(rawName);
  if (!name.ok)
    return { ok: false, code: 'INVALID_FILE_NAME', path: 'name', message: name.problem };
  if (bytes.byteLength === 0) {
    return { ok: false, code: 'FILE_EMPTY', path: 'file', message: `${name.name} is empty` };
  }
  const contentType = await sniffContentType(bytes);
  const type = contentType ? UPLOAD_TYPES[contentType] : undefined;
  if (!contentType || !type) {
    return {
      ok: false,
      code: 'FILE_TYPE_NOT_ALLOWED',
      path: 'file',
      message: `${name.name} is ${contentType ?? 'of an unknown type'}; the library takes images, video, audio, PDF, Office documents and plain text`,
    };
  }
  const mismatch = nameTypeMismatch(name.name, contentType);
  if (mismatch) return { ok: false, code: 'FILE_TYPE_MISMATCH', path: 'name', message: mismatch };
  const maxBytes = UPLOAD_MAX_BYTES[type.kind];
  if (bytes.byteLength > maxBytes) {
    return {
      ok: false,
      code: 'FILE_TOO_LARGE',
      path: 'file',
      message: `${name.name} is ${formatBytes(bytes.byteLength)}, over the ${formatBytes(maxBytes)} the library takes for ${type.kind} files`,
    };
  }
  return { ok: true, name: name.name, contentType, kind: type.kind, sizeBytes: bytes.byteLength };
}

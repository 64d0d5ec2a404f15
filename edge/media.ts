/**
 * What the API (api/) may use of the media library's edge side, in one place: the upload check
 * (name, type from the bytes, size caps), the bucket the bytes go to, and signed links.
 */
export { type MediaBucket, storageKeyFor } from './media/bucket';
export { checkFileName } from './media/file-name';
export { MediaLinkSigner, PROVIDER_LINK_SECONDS } from './media/signed-link';
export { checkUpload, nameTypeMismatch } from './media/upload-check';
export {
  MAX_MULTIPART_BYTES,
  UPLOAD_MAX_BYTES,
  UPLOAD_MAX_BYTES_ANY,
  UPLOAD_TYPES,
} from './media/upload-types';

import { namedSteps } from '../workflows/published-uses';
import type { FileUse } from './usage';

/** A file still sent by published steps cannot be deleted; nothing was changed. */
export class FileInUseError extends Error {
  constructor(
    readonly fileId: string,
    readonly steps: FileUse[],
  ) {
    super(`The file is used by published steps: ${namedSteps(steps)}`);
    this.name = 'FileInUseError';
  }
}

/** Uploads need a media bucket, and this deployment has none (no MEDIA_BUCKET binding). */
export class UploadsUnavailableError extends Error {
  constructor() {
    super('File uploads are not available in this deployment (no media bucket is bound)');
    this.name = 'UploadsUnavailableError';
  }
}

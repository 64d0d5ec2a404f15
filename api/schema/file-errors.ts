import { builder } from '../builder';
import { FileInUseError, UploadsUnavailableError } from '../files/errors';
import { ErrorInterface } from './error';
import { publishedStepUseRef } from './published-step-use';

const FileUseRef = publishedStepUseRef('FileUse', 'A published step that sends a file.');

builder.objectType(FileInUseError, {
  name: 'FileInUseError',
  description: 'Published steps send this file, so it cannot be deleted; nothing was changed.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    fileId: t.exposeID('fileId'),
    steps: t.field({ type: [FileUseRef], resolve: (error) => error.steps }),
  }),
});

builder.objectType(UploadsUnavailableError, {
  name: 'UploadsUnavailableError',
  description: 'This deployment stores no uploads (no media bucket is bound); nothing was stored.',
  interfaces: [ErrorInterface],
  fields: () => ({}),
});

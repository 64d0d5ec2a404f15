import { builder } from '../builder';
import { FileInUseError, UploadsUnavailableError } from '../files/errors';
import type { FileUse } from '../files/usage';
import { ErrorInterface } from './error';

const FileUseRef = builder.objectRef<FileUse>('FileUse').implement({
  description: 'A published step that sends a file.',
  fields: (t) => ({
    workflowId: t.exposeID('workflowId'),
    workflowName: t.exposeString('workflowName'),
    stepId: t.exposeID('stepId'),
    stepName: t.exposeString('stepName', { nullable: true }),
  }),
});

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

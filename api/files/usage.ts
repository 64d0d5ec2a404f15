import type { Database } from '../../db/client';
import { stepReferences } from '../../workflow/step-references';
import { type PublishedStepUse, publishedStepsUsing } from '../workflows/published-uses';

/** A published step that sends a file. */
export type FileUse = PublishedStepUse;

/**
 * The steps of the workspace's published workflow versions that send `fileId` (as a media
 * message, in a channel response or as an email attachment), in the versions that still send
 * (api/workflows/published-uses.ts).
 */
export function publishedStepsSending(
  db: Pick<Database, 'select' | 'execute'>,
  workspaceId: string,
  fileId: string,
): Promise<FileUse[]> {
  // Graphs hold ids in lower case (workflow/ids.ts idInput); a client may spell one in upper
  // case, which Postgres matches to the row but strpos would not find in a graph.
  const id = fileId.toLowerCase();
  return publishedStepsUsing(db, workspaceId, id, (config) =>
    stepReferences(config).fileIds.includes(id),
  );
}

import type { Database } from '../../db/client';
import { addStepNeeds, emptyNeeds, loadLibrary } from './library';
import { type PreparedSend, type PrepareInput, prepareSend } from './prepare';

/** One send to preview: what `prepareSend` takes, without the batch's loaded library. */
export type PreviewInput = Omit<PrepareInput, 'library'>;

/**
 * Resolves and renders one send exactly as dispatch would (channel, content, messaging window,
 * rendering, the contact's email thread in this workflow), loading what it needs with the same
 * one query a batch uses, and sends nothing.
 */
export async function previewSend(db: Database, input: PreviewInput): Promise<PreparedSend> {
  const needs = emptyNeeds();
  addStepNeeds(needs, input.config, {
    workspaceId: input.workspaceId,
    workflowId: input.workflowId,
    contactId: input.contact.id,
    lastInteractedChannelId: input.contact.lastInteractedChannelId,
  });
  const library = await loadLibrary(db, needs);
  return prepareSend({ ...input, library });
}

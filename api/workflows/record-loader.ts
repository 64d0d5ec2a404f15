import DataLoader from 'dataloader';
import type { channels, files } from '../../db/schema';
import { isUuid } from '../../workflow/ids';
import type { ApiContext } from '../context';

/**
 * Step configs (and conversation messages) name channels and files by id inside JSON, where no
 * foreign key or Drizzle relation can plan a join. One DataLoader per table and request collects
 * every id asked for while a response resolves and fetches them with one query, scoped to the
 * caller's workspace, so listing many steps never costs a query per step.
 *
 * The rows are fetched with a fixed set of columns (the type's own `select`, or every column of
 * a table without secrets) and returned to plain fields: plugin-drizzle does not plan these
 * fields, which it otherwise did again for each of the hundred steps of a listing. Fields of
 * the Channel type that need more columns (`callback`, `templates`) declare a `select`, and the
 * plugin loads those by primary key when, and only when, they are asked for.
 */

type ChannelRow = typeof channels.$inferSelect;
type FileRow = typeof files.$inferSelect;

/**
 * The columns the API reads a channel with, the Channel type's `select` too: never the
 * credentials ciphertext, so no resolver can return it; templates (up to a thousand) and the
 * callback token are loaded only by the fields that show them.
 */
export const CHANNEL_COLUMNS = {
  id: true,
  type: true,
  provider: true,
  name: true,
  status: true,
  statusDetail: true,
  verifiedAt: true,
  settings: true,
  credentialsHint: true,
  templatesSyncedAt: true,
  maxMessagesPerSecond: true,
  createdAt: true,
  updatedAt: true,
} as const;

/** A channel as CHANNEL_COLUMNS reads it. */
export type LoadedChannel = Pick<ChannelRow, keyof typeof CHANNEL_COLUMNS>;

interface RecordLoaders {
  channels: DataLoader<string, LoadedChannel | null>;
  files: DataLoader<string, FileRow | null>;
}

const loadersByContext = new WeakMap<ApiContext, RecordLoaders>();

/** Rows by id, in the order of `ids`, null for ids that name none of the caller's rows. */
function inOrder<Row extends { id: string }>(ids: readonly string[], rows: Row[]): (Row | null)[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => byId.get(id) ?? null);
}

function loadersFor(ctx: ApiContext): RecordLoaders {
  let loaders = loadersByContext.get(ctx);
  if (!loaders) {
    const where = (ids: readonly string[]) => ({
      workspaceId: ctx.workspaceId,
      id: { in: [...ids] },
    });
    loaders = {
      channels: new DataLoader(async function loadChannels(ids) {
        const rows = await ctx.db.query.channels.findMany({
          columns: CHANNEL_COLUMNS,
          where: where(ids),
        });
        return inOrder(ids, rows);
      }),
      files: new DataLoader(async function loadFiles(ids) {
        return inOrder(ids, await ctx.db.query.files.findMany({ where: where(ids) }));
      }),
    };
    loadersByContext.set(ctx, loaders);
  }
  return loaders;
}

/** The caller's channel with this id; null when deleted or not in the caller's workspace. */
export function loadWorkspaceChannel(ctx: ApiContext, id: string): Promise<LoadedChannel | null> {
  // An id that is not a UUID names no row; asking Postgres would fail the whole batch.
  if (!isUuid(id)) return Promise.resolve(null);
  return loadersFor(ctx).channels.load(id);
}

/** The caller's library file with this id; null when deleted or not in the caller's workspace. */
export function loadWorkspaceFile(ctx: ApiContext, id: string): Promise<FileRow | null> {
  if (!isUuid(id)) return Promise.resolve(null);
  return loadersFor(ctx).files.load(id);
}

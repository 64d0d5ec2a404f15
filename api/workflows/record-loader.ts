import { and, eq, inArray } from 'drizzle-orm';
import { channels, files } from '../../db/schema';
import type { ApiContext } from '../context';
import { isUuid } from '../schema/ids';

/**
 * Step configs name channels and files by id inside JSON, where no foreign key or Drizzle
 * relation can plan a join. These loaders collect every id asked for while one GraphQL response
 * resolves and fetch them with one query per table, scoped to the caller's workspace, so that
 * listing many steps never costs a query per step.
 */

type ChannelRow = typeof channels.$inferSelect;
type FileRow = typeof files.$inferSelect;

interface Pending<Row> {
  id: string;
  resolve(row: Row | null): void;
  reject(error: unknown): void;
}

/** Loads rows by id in batches; each id is fetched at most once per request. */
class BatchLoader<Row extends { id: string }> {
  private readonly cache = new Map<string, Promise<Row | null>>();
  private queue: Pending<Row>[] = [];

  constructor(private readonly fetchRows: (ids: string[]) => Promise<Row[]>) {}

  load(id: string): Promise<Row | null> {
    // An id that is not a UUID names no row; asking Postgres would fail the whole batch.
    if (!isUuid(id)) return Promise.resolve(null);
    const cached = this.cache.get(id);
    if (cached) return cached;
    const promise = new Promise<Row | null>((resolve, reject) => {
      this.queue.push({ id, resolve, reject });
    });
    this.cache.set(id, promise);
    // A macrotask runs after every resolver that is ready in this pass has asked for its id.
    if (this.queue.length === 1) setTimeout(() => this.dispatch(), 0);
    return promise;
  }

  private async dispatch(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    try {
      const rows = await this.fetchRows(batch.map((pending) => pending.id));
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const pending of batch) pending.resolve(byId.get(pending.id) ?? null);
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }
}

interface RecordLoaders {
  channels: BatchLoader<ChannelRow>;
  files: BatchLoader<FileRow>;
}

const loadersByContext = new WeakMap<ApiContext, RecordLoaders>();

function loadersFor(ctx: ApiContext): RecordLoaders {
  let loaders = loadersByContext.get(ctx);
  if (!loaders) {
    loaders = {
      channels: new BatchLoader((ids) =>
        ctx.db
          .select()
          .from(channels)
          .where(and(eq(channels.workspaceId, ctx.workspaceId), inArray(channels.id, ids))),
      ),
      files: new BatchLoader((ids) =>
        ctx.db
          .select()
          .from(files)
          .where(and(eq(files.workspaceId, ctx.workspaceId), inArray(files.id, ids))),
      ),
    };
    loadersByContext.set(ctx, loaders);
  }
  return loaders;
}

/** The caller's channel with this id, or null (deleted, or not in the caller's workspace). */
export function loadWorkspaceChannel(ctx: ApiContext, id: string): Promise<ChannelRow | null> {
  return loadersFor(ctx).channels.load(id);
}

/** The caller's library file with this id, or null (deleted, or not in the caller's workspace). */
export function loadWorkspaceFile(ctx: ApiContext, id: string): Promise<FileRow | null> {
  return loadersFor(ctx).files.load(id);
}

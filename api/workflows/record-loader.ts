import type { GraphQLResolveInfo } from 'graphql';
import type { channels, files } from '../../db/schema';
import { isUuid } from '../../workflow/ids';
import type { ApiContext } from '../context';

/**
 * Step configs name channels and files by id inside JSON, where no foreign key or Drizzle
 * relation can plan a join. These loaders collect every id asked for while one GraphQL response
 * resolves and fetch them with one query per table, scoped to the caller's workspace, so that
 * listing many steps never costs a query per step.
 *
 * Each row is fetched with the selection plugin-drizzle planned for the field that asked for it
 * (the `query()` of a `drizzleField`). Calling `query()` records that the row carries what the
 * Channel or File fields beneath it need; a row fetched any other way is fetched a second time
 * by the plugin, by primary key, before those fields resolve.
 */

type ChannelRow = typeof channels.$inferSelect;
type FileRow = typeof files.$inferSelect;

/** A planned Drizzle selection as `query()` returns it (`DBQueryConfig` without `where`). */
export interface Selection {
  columns?: Record<string, boolean | undefined>;
  with?: Record<string, unknown>;
  extras?: Record<string, unknown>;
}

/** The `query` a `drizzleField` resolver is handed: its planned selection, recorded per row. */
export type PlannedQuery = () => object;

/** Fetches the caller's rows with these ids, each with at least `selection`. */
type FetchRows<Row> = (ids: string[], selection: Selection) => Promise<Row[]>;

interface Waiting<Row> {
  resolve(row: Row | null): void;
  reject(error: unknown): void;
}

/** The loads of one field path: one planned selection, each id fetched once. */
interface FieldLoads<Row> {
  selection: Selection;
  rows: Map<string, Promise<Row | null>>;
  waiting: Map<string, Waiting<Row>>;
}

/** A selection naming columns only, so that several merge into one query by their union. */
function isColumnsOnly(selection: Selection): boolean {
  for (const key of Object.keys(selection)) {
    if (key === 'columns') continue;
    const value = (selection as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if ((key === 'with' || key === 'extras') && Object.keys(value as object).length === 0) continue;
    return false;
  }
  return true;
}

/** Columns covering every selection given; undefined (every column) when one asks for all. */
function unionColumns(selections: Selection[]): Selection['columns'] {
  const columns: Record<string, boolean> = {};
  for (const selection of selections) {
    if (!selection.columns) return undefined;
    for (const key of Object.keys(selection.columns)) {
      if (selection.columns[key]) columns[key] = true;
    }
  }
  return columns;
}

/**
 * The response path of the field `info` resolves, without list indices: every row resolved at
 * it was planned with the same selection (plugin-drizzle keys its plans the same way).
 */
function fieldKey(info: GraphQLResolveInfo): string {
  let key = info.parentType.name;
  for (let link: GraphQLResolveInfo['path'] | undefined = info.path; link; link = link.prev) {
    if (typeof link.key === 'string') key += `<${link.key}`;
  }
  return key;
}

/** Loads rows by id in batches, one query per table for every field whose selection is columns. */
class BatchLoader<Row extends { id: string }> {
  private readonly fields = new Map<string, FieldLoads<Row>>();
  private queued: FieldLoads<Row>[] = [];
  private scheduled = false;

  constructor(private readonly fetchRows: FetchRows<Row>) {}

  load(info: GraphQLResolveInfo, query: PlannedQuery, id: string): Promise<Row | null> {
    // An id that is not a UUID names no row; asking Postgres would fail the whole batch.
    if (!isUuid(id)) return Promise.resolve(null);
    // Called for every row, cached or not: it records the plan for this row's fields.
    const selection = query() as Selection;
    const key = fieldKey(info);
    let field = this.fields.get(key);
    if (!field) {
      field = { selection, rows: new Map(), waiting: new Map() };
      this.fields.set(key, field);
    }
    const cached = field.rows.get(id);
    if (cached) return cached;
    const loads = field;
    const promise = new Promise<Row | null>((resolve, reject) => {
      loads.waiting.set(id, { resolve, reject });
    });
    field.rows.set(id, promise);
    if (field.waiting.size === 1) this.queued.push(field);
    if (!this.scheduled) {
      this.scheduled = true;
      // A macrotask runs after every resolver that is ready in this pass has asked for its id.
      setTimeout(() => this.dispatch(), 0);
    }
    return promise;
  }

  private dispatch(): void {
    const batch = this.queued;
    this.queued = [];
    this.scheduled = false;
    const merged = batch.filter((field) => isColumnsOnly(field.selection));
    const separate = batch.filter((field) => !isColumnsOnly(field.selection));
    if (merged.length > 0) {
      const columns = unionColumns(merged.map((field) => field.selection));
      void this.fetchFor(merged, columns ? { columns } : {});
    }
    for (const field of separate) void this.fetchFor([field], field.selection);
  }

  /** One query for every id the fields wait for; each waiting load gets its row or null. */
  private async fetchFor(batch: FieldLoads<Row>[], selection: Selection): Promise<void> {
    const waiting = batch.map((field) => {
      const entries = [...field.waiting];
      field.waiting.clear();
      return entries;
    });
    const ids = new Set<string>();
    for (const entries of waiting) for (const [id] of entries) ids.add(id);
    try {
      const rows = await this.fetchRows([...ids], selection);
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const entries of waiting)
        for (const [id, load] of entries) load.resolve(byId.get(id) ?? null);
    } catch (error) {
      for (const entries of waiting) for (const [, load] of entries) load.reject(error);
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
    const where = (ids: string[]) => ({ workspaceId: ctx.workspaceId, id: { in: ids } });
    loaders = {
      channels: new BatchLoader((ids, selection) =>
        ctx.db.query.channels.findMany({ ...selection, where: where(ids) } as never),
      ),
      files: new BatchLoader((ids, selection) =>
        ctx.db.query.files.findMany({ ...selection, where: where(ids) } as never),
      ),
    };
    loadersByContext.set(ctx, loaders);
  }
  return loaders;
}

/**
 * The caller's channel with this id, with the selection `query` planned for the field `info`
 * resolves; null when deleted or not in the caller's workspace.
 */
export function loadWorkspaceChannel(
  ctx: ApiContext,
  info: GraphQLResolveInfo,
  query: PlannedQuery,
  id: string,
): Promise<ChannelRow | null> {
  return loadersFor(ctx).channels.load(info, query, id);
}

/**
 * The caller's library file with this id, with the selection `query` planned for the field
 * `info` resolves; null when deleted or not in the caller's workspace.
 */
export function loadWorkspaceFile(
  ctx: ApiContext,
  info: GraphQLResolveInfo,
  query: PlannedQuery,
  id: string,
): Promise<FileRow | null> {
  return loadersFor(ctx).files.load(info, query, id);
}

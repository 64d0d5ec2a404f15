import { and, eq, ilike, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { files } from '../../db/schema';
import { checkFileName, nameTypeMismatch } from '../../edge/media';
import { checkOutboundUrl } from '../../edge/pipeline';
import { isUuid } from '../../workflow/ids';
import type { MediaFacts } from '../../workflow/media-limits';
import { validateMedia } from '../../workflow/validate-media';
import { builder } from '../builder';
import type { ApiContext } from '../context';
import { NotFoundError, ValidationError } from '../errors';
import { FileInUseError } from '../files/errors';
import { publishedStepsSending } from '../files/usage';
import { IssueList } from '../validation';
import { loadStepLookups, type Queryable } from '../workflows/lookups';
import {
  CREATION_CURSOR,
  checkConnectionArgs,
  creationOrder,
  likePattern,
  settleCursorBounds,
} from './pagination';

// RFC 6838 §4.2 type/subtype names (parameters such as `; charset=` are not stored).
const CONTENT_TYPE =
  /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
const MAX_URL_LENGTH = 2048;
/** How long the link `File.url` gives for an uploaded file lives (for previews in the editor). */
const PREVIEW_LINK_SECONDS = 60 * 60;

/** A file in the workspace library; media messages point at it and channels send its URL. */
export const FileRef = builder.drizzleObject('files', {
  name: 'File',
  // Column fields read the row directly (the type has no `select`: a loaded file has every
  // column); an `expose` would add a per-row plan lookup to every field.
  fields: (t) => ({
    id: t.id({ resolve: (file) => file.id }),
    name: t.string({ resolve: (file) => file.name }),
    contentType: t.string({
      description: 'MIME type, e.g. `image/png`; for uploads, what the bytes are.',
      resolve: (file) => file.contentType,
    }),
    sizeBytes: t.int({ resolve: (file) => file.sizeBytes }),
    uploaded: t.boolean({
      description: 'Stored by `uploadFile` (else registered by URL with `createFile`).',
      resolve: (file) => file.storageKey !== null,
    }),
    url: t.string({
      description:
        'The URL registered with `createFile`; for an uploaded file, a signed link to its bytes valid for an hour.',
      resolve: (file, _args, ctx) =>
        file.url ?? ctx.mediaLinks.link(file, new Date(Date.now() + PREVIEW_LINK_SECONDS * 1000)),
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (file) => file.createdAt }),
  }),
});

const FileFilter = builder.inputType('FileFilter', {
  fields: (t) => ({
    search: t.string({ description: 'Case-insensitive match on the name.' }),
    contentTypePrefix: t.string({ description: 'e.g. `image/` for images only.' }),
  }),
});

const FileInputFields = {
  name: 'Display name, e.g. `welcome.png`.',
  contentType: 'MIME type, e.g. `image/png`.',
  url: 'Absolute https URL of the bytes.',
} as const;

const CreateFileInput = builder.inputType('CreateFileInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: FileInputFields.name }),
    contentType: t.string({ required: true, description: FileInputFields.contentType }),
    sizeBytes: t.int({ required: true }),
    url: t.string({ required: true, description: FileInputFields.url }),
  }),
});

const UpdateFileInput = builder.inputType('UpdateFileInput', {
  description: 'Omitted fields stay as they are.',
  fields: (t) => ({
    name: t.string({ description: FileInputFields.name }),
    contentType: t.string({ description: FileInputFields.contentType }),
    sizeBytes: t.int(),
    url: t.string({ description: FileInputFields.url }),
  }),
});

interface FileFields {
  name?: string | null;
  contentType?: string | null;
  sizeBytes?: number | null;
  url?: string | null;
}

/**
 * Validates the given fields and returns the normalised values to write. `allowPrivateUrls` is
 * the deployment's ALLOW_PRIVATE_URLS: without it, a URL on a loopback, private, link-local or
 * local-only host is refused, as a channel's endpoint or a webhook's is, since providers and
 * custom channels' endpoints fetch the URL (a provider cannot reach one; a partner's endpoint
 * could be led to its own network).
 */
function parseFileFields(
  input: FileFields,
  issues: IssueList,
  allowPrivateUrls: boolean,
): Partial<typeof files.$inferInsert> {
  const values: Partial<typeof files.$inferInsert> = {};
  if (input.name != null) {
    const name = checkFileName(input.name);
    if (name.ok) values.name = name.name;
    else issues.add('INVALID_FILE_NAME', 'name', name.problem);
  }
  if (input.contentType != null) {
    values.contentType = input.contentType.trim().toLowerCase();
    if (!CONTENT_TYPE.test(values.contentType)) {
      issues.add('INVALID_VALUE', 'contentType', 'Not a MIME type such as `image/png`');
    }
  }
  if (input.sizeBytes != null) {
    values.sizeBytes = input.sizeBytes;
    if (input.sizeBytes < 0) issues.add('INVALID_VALUE', 'sizeBytes', 'Must not be negative');
  }
  if (input.url != null) {
    values.url = input.url.trim();
    if (!isHttpsUrl(values.url)) {
      issues.add('INVALID_URL', 'url', 'Must be an absolute https URL');
    } else {
      const outbound = checkOutboundUrl(values.url, { allowPrivate: allowPrivateUrls });
      if (!outbound.ok) issues.add('INVALID_URL', 'url', outbound.detail);
    }
  }
  return values;
}

/** An absolute https URL of reasonable length without embedded credentials. */
function isHttpsUrl(value: string): boolean {
  if (value.length > MAX_URL_LENGTH) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && !url.username && !url.password;
  } catch {
    return false;
  }
}

function filterSql(
  table: typeof files,
  ctx: ApiContext,
  filter: { search?: string | null; contentTypePrefix?: string | null } | null | undefined,
): SQL {
  return and(
    eq(table.workspaceId, ctx.workspaceId),
    filter?.search ? ilike(table.name, likePattern(filter.search)) : undefined,
    filter?.contentTypePrefix
      ? ilike(table.contentType, `${likePattern(filter.contentTypePrefix).slice(1)}`)
      : undefined,
  )!;
}

builder.queryFields((t) => ({
  files: t.drizzleConnection(
    {
      type: 'files',
      description: "The workspace's file library, oldest first.",
      args: { filter: t.arg({ type: FileFilter }) },
      totalCount: (_root, args, ctx) => ctx.db.$count(files, filterSql(files, ctx, args.filter)),
      resolve: async (query, _root, args, ctx) => {
        checkConnectionArgs(args, CREATION_CURSOR);
        const [rows] = await Promise.all([
          ctx.db.query.files.findMany(
            query({
              where: { RAW: (table) => filterSql(table, ctx, args.filter) },
              ...creationOrder(),
            }),
          ),
          settleCursorBounds(ctx.db, args, files, filterSql(files, ctx, args.filter), 'asc'),
        ]);
        return rows;
      },
    },
    { name: 'FileConnection' },
    { name: 'FileEdge' },
  ),
  file: t.drizzleField({
    type: 'files',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) =>
      isUuid(args.id)
        ? ctx.db.query.files.findFirst(
            query({ where: { id: args.id, workspaceId: ctx.workspaceId } }),
          )
        : null,
  }),
}));

/**
 * A registered file's new type or size checked against the channels of the published steps
 * that send it, as saving those steps checked the old ones (workflow/validate-media.ts): a
 * change that a step's channel cannot send is refused (MEDIA_NOT_ACCEPTED on the changed
 * field, naming the step), instead of every send of that step failing at send time. Draft
 * steps are checked again when they are published.
 */
async function checkPublishedMedia(
  tx: Queryable & Pick<Database, 'execute'>,
  workspaceId: string,
  file: MediaFacts & { id: string },
  changed: { contentType: boolean },
  issues: IssueList,
): Promise<void> {
  const uses = await publishedStepsSending(tx, workspaceId, file.id);
  if (uses.length === 0) return;
  const lookups = await loadStepLookups(
    tx,
    workspaceId,
    uses.map((use) => use.config),
  );
  const field = changed.contentType ? 'contentType' : 'sizeBytes';
  // Only this file, with its new facts: another file's problems are not this update's.
  const media = {
    channels: lookups.channels,
    files: new Map([[file.id, file]]),
    fileIds: new Set([file.id]),
  };
  for (const use of uses) {
    for (const issue of validateMedia(use.config, media)) {
      if (issue.code !== 'MEDIA_NOT_ACCEPTED') continue;
      issues.add(
        'MEDIA_NOT_ACCEPTED',
        field,
        `Published step "${use.stepName ?? use.stepId}" in "${use.workflowName}" sends this file: ${issue.message}`,
      );
    }
  }
}

builder.mutationFields((t) => ({
  createFile: t.drizzleField({
    type: 'files',
    description: 'Registers a file already uploaded to object storage.',
    errors: { types: [ValidationError] },
    args: { input: t.arg({ type: CreateFileInput, required: true }) },
    resolve: async (_query, _root, { input }, ctx) => {
      const issues = new IssueList();
      const values = parseFileFields(input, issues, ctx.allowPrivateUrls);
      issues.throwIfAny();
      const [file] = await ctx.db
        .insert(files)
        .values({
          workspaceId: ctx.workspaceId,
          name: values.name!,
          contentType: values.contentType!,
          sizeBytes: values.sizeBytes!,
          url: values.url!,
        })
        .returning();
      return file!;
    },
  }),
  updateFile: t.drizzleField({
    type: 'files',
    description:
      "Changes a file's name, or a registered file's type, size or URL (an upload's are its " +
      "bytes'). A new type or size that a published step's channel cannot send is refused " +
      '(MEDIA_NOT_ACCEPTED, naming the step); nothing is changed then.',
    errors: { types: [ValidationError, NotFoundError] },
    args: {
      id: t.arg.id({ required: true }),
      input: t.arg({ type: UpdateFileInput, required: true }),
    },
    resolve: async (_query, _root, { id, input }, ctx) => {
      if (!isUuid(id)) throw new NotFoundError('File', String(id));
      const issues = new IssueList();
      const values = parseFileFields(input, issues, ctx.allowPrivateUrls);
      issues.throwIfAny();
      const where = and(eq(files.id, id), eq(files.workspaceId, ctx.workspaceId));
      return ctx.db.transaction(async (tx) => {
        // Locked until the update commits: a step save or publish that checks this file's
        // media facts (FOR KEY SHARE, api/workflows/lookups.ts) waits for it, then sees the
        // new facts.
        const [current] = await tx.select().from(files).where(where).for('update');
        if (!current) throw new NotFoundError('File', id);
        if (current.storageKey !== null) {
          // An upload's type and size are what its bytes are, and it has no URL of its own.
          for (const field of ['contentType', 'sizeBytes', 'url'] as const) {
            if (field in values) {
              issues.add('INVALID_VALUE', field, 'Set by the upload; only the name can change');
            }
          }
          // A new name may not claim another type than the bytes are, as on upload.
          const mismatch = values.name ? nameTypeMismatch(values.name, current.contentType) : null;
          if (mismatch) issues.add('FILE_TYPE_MISMATCH', 'name', mismatch);
          issues.throwIfAny();
        } else if (values.contentType !== undefined || values.sizeBytes !== undefined) {
          await checkPublishedMedia(
            tx,
            ctx.workspaceId,
            { ...current, ...values },
            { contentType: values.contentType !== undefined },
            issues,
          );
          issues.throwIfAny();
        }
        if (Object.keys(values).length === 0) return current;
        const [file] = await tx.update(files).set(values).where(where).returning();
        return file!;
      });
    },
  }),
  deleteFile: t.id({
    description:
      'Removes the file from the library (and its bytes, for an upload) and returns its id. ' +
      'A file that published steps send is refused with FileInUseError naming them; draft ' +
      'steps that still use it fail validation (UNKNOWN_FILE) on the next publish.',
    errors: { types: [NotFoundError, FileInUseError] },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      if (!isUuid(id)) throw new NotFoundError('File', String(id));
      const deleted = await ctx.db.transaction(async (tx) => {
        const where = and(eq(files.id, id), eq(files.workspaceId, ctx.workspaceId));
        // Locked against a concurrent delete or rename. A step save or publish that read this
        // file holds it (FOR KEY SHARE, api/workflows/lookups.ts) until it commits, so this
        // lock waits for it and then sees the version it froze (FileInUseError).
        const [file] = await tx.select().from(files).where(where).for('update');
        if (!file) throw new NotFoundError('File', id);
        const uses = await publishedStepsSending(tx, ctx.workspaceId, id);
        if (uses.length > 0) throw new FileInUseError(id, uses);
        await tx.delete(files).where(where);
        return file;
      });
      // After the commit: a failure here leaves unreachable bytes, never a row without them.
      if (deleted.storageKey && ctx.mediaBucket) await ctx.mediaBucket.delete(deleted.storageKey);
      return deleted.id;
    },
  }),
}));

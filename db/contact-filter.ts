import { type SQL, sql } from 'drizzle-orm';

/** One condition on a custom field: its value equals, or contains (case-insensitively), a text. */
export type CustomFieldCondition =
  | { key: string; equals: string }
  | { key: string; contains: string };

/**
 * Which contacts of a workspace a segment start reaches, validated and normalised
 * (api/segments/filter-input.ts): every condition given must hold; an empty filter matches
 * every contact. Stored as is on `segment_starts.filter`.
 */
export interface ContactFilter {
  customFields?: CustomFieldCondition[];
  /** ISO 3166-1 alpha-2, upper case: the contact's country is one of them. */
  countries?: string[];
  /** Canonical BCP 47 tags: the contact's language is one of them or a subtag of one (en → en-GB). */
  languages?: string[];
  /** ISO timestamps: created at or after `createdSince`, strictly before `createdBefore`. */
  createdSince?: string;
  createdBefore?: string;
  /** true: has an email (phone); false: has none. */
  hasEmail?: boolean;
  hasPhone?: boolean;
}

/**
 * The filter as an SQL condition on the contacts row alias `c`. Every value travels as a
 * parameter. Custom field equality is a containment test (`@>`) that the GIN index
 * `contacts_custom_fields_idx` answers; the other conditions are checked on the rows the
 * workspace's `(workspace_id, id)` index walks.
 */
export function contactFilterSql(filter: ContactFilter): SQL {
  const conditions: SQL[] = [];
  for (const condition of filter.customFields ?? []) {
    if ('equals' in condition) {
      conditions.push(
        sql`c.custom_fields @> ${JSON.stringify({ [condition.key]: condition.equals })}::jsonb`,
      );
    } else {
      // strpos rather than LIKE: the text is matched literally, `%` and `_` included.
      conditions.push(
        sql`strpos(lower(c.custom_fields ->> ${condition.key}::text), lower(${condition.contains}::text)) > 0`,
      );
    }
  }
  if (filter.countries)
    conditions.push(sql`c.country = any(${sql.param(filter.countries)}::text[])`);
  if (filter.languages) {
    const tags = sql.param(filter.languages);
    // Tags hold only letters, digits and hyphens (validated), so `like` sees no wildcard in them.
    conditions.push(
      sql`(c.language = any(${tags}::text[]) or c.language like any(array(select t || '-%' from unnest(${tags}::text[]) t)))`,
    );
  }
  if (filter.createdSince)
    conditions.push(sql`c.created_at >= ${filter.createdSince}::timestamptz`);
  if (filter.createdBefore)
    conditions.push(sql`c.created_at < ${filter.createdBefore}::timestamptz`);
  if (filter.hasEmail !== undefined) {
    conditions.push(filter.hasEmail ? sql`c.email is not null` : sql`c.email is null`);
  }
  if (filter.hasPhone !== undefined) {
    conditions.push(filter.hasPhone ? sql`c.phone is not null` : sql`c.phone is null`);
  }
  return conditions.length ? sql.join(conditions, sql` and `) : sql`true`;
}

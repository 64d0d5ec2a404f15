-- A dispatch batch moves 100 runs (new step, visit, due time, enqueue stamp). No index holds
-- those columns any more (migration …_dispatch_write_cost), so the new row version can be a
-- HOT update: on the same page, with no new entry in any of the table's indexes. That needs
-- free room on the page. The rows a batch moves were created together and fill whole pages,
-- and a page's every row gets its new version in the same statement, so half of each page is
-- kept free for them (dispatch-backlog: all of a batch's moves HOT at 50, about half at 70,
-- where the record statement also wrote twice the WAL and ~30 full-page images per batch). The
-- price is space: runs take about twice the pages, finished runs included. Applies to pages
-- written from now on.
ALTER TABLE "runs" SET (fillfactor = 50);
--> statement-breakpoint
-- Events have no foreign key to their workspace (a check per appended row). Deleting a
-- workspace deletes its events here instead. An event is only ever appended next to its
-- workspace's event_counters row (db/event-log.ts, appendEventsCte: an upsert that locks it,
-- and whose insert checks the workspace): the delete cascades to that row first (waiting for
-- an appending transaction to commit), and this trigger, which fires after the row-level
-- cascades, then sees every committed event; a later append finds no counter row and fails
-- its counter's foreign key.
CREATE FUNCTION "delete_workspace_events"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM events WHERE workspace_id IN (SELECT id FROM deleted_workspaces);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "workspaces_delete_events" AFTER DELETE ON "workspaces"
  REFERENCING OLD TABLE AS deleted_workspaces
  FOR EACH STATEMENT EXECUTE FUNCTION "delete_workspace_events"();

-- deliveries.run_id has no foreign key any more: its check cost the record statement ~0.5 ms
-- per batch of 100 sends (a lookup and a key-share lock per row) for nothing, as both
-- statements that insert deliveries (edge/dispatch/record.ts and dead-letter.ts) insert only
-- for runs they updated in the same statement, whose row lock keeps the run until they commit.
ALTER TABLE "deliveries" DROP CONSTRAINT "deliveries_run_id_runs_id_fkey";
--> statement-breakpoint
-- What the key's `ON DELETE CASCADE` did is done here, once per statement that deletes runs
-- (a workspace's, workflow's or contact's deletion cascades to runs): their deliveries go with
-- them, found through deliveries_run_step_visit_uq. A delete waits for a statement holding
-- the run's row lock, and this trigger then sees the deliveries it inserted.
CREATE FUNCTION "delete_deleted_runs_deliveries"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM deliveries WHERE run_id IN (SELECT id FROM deleted_runs);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "runs_delete_deliveries" AFTER DELETE ON "runs"
  REFERENCING OLD TABLE AS deleted_runs
  FOR EACH STATEMENT EXECUTE FUNCTION "delete_deleted_runs_deliveries"();

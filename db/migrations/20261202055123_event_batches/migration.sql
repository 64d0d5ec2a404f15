CREATE TABLE "event_batches" (
	"workspace_id" uuid,
	"first_cursor" bigint NOT NULL,
	"last_cursor" bigint,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"events" jsonb NOT NULL,
	CONSTRAINT "event_batches_pkey" PRIMARY KEY("workspace_id","last_cursor")
);
--> statement-breakpoint
-- The events logged so far, one batch each: a batch may hold any number of consecutive
-- cursors, so one per event keeps every cursor where readers look for it.
INSERT INTO "event_batches" ("workspace_id", "first_cursor", "last_cursor", "occurred_at", "events")
SELECT "workspace_id", "cursor", "cursor", "occurred_at",
       jsonb_build_array(jsonb_build_object('type', "type", 'data', "data",
         'workflow_id', "workflow_id", 'run_id', "run_id", 'contact_id', "contact_id",
         'channel_id', "channel_id", 'delivery_id', "delivery_id"))
FROM "events";
--> statement-breakpoint
-- Deleting a workspace deletes its event batches, as it deleted its events (migration
-- …_dispatch_write_cost_storage has why a trigger and not a foreign key, and why it sees every
-- committed batch).
CREATE OR REPLACE FUNCTION "delete_workspace_events"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM event_batches WHERE workspace_id IN (SELECT id FROM deleted_workspaces);
  RETURN NULL;
END
$$;
--> statement-breakpoint
DROP TABLE "events";

CREATE TABLE "event_counters" (
	"workspace_id" uuid PRIMARY KEY,
	"last_cursor" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "events" (
	"workspace_id" uuid,
	"cursor" bigint,
	"type" text NOT NULL,
	"data" jsonb NOT NULL,
	"workflow_id" uuid,
	"run_id" uuid,
	"contact_id" uuid,
	"channel_id" uuid,
	"delivery_id" uuid,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "events_pkey" PRIMARY KEY("workspace_id","cursor")
);
--> statement-breakpoint
CREATE INDEX "events_workspace_time_idx" ON "events" ("workspace_id","occurred_at");--> statement-breakpoint
ALTER TABLE "event_counters" ADD CONSTRAINT "event_counters_workspace_id_workspaces_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_workspace_id_workspaces_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE;
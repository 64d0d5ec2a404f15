CREATE TABLE "segment_starts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"workspace_id" uuid NOT NULL,
	"workflow_id" uuid NOT NULL,
	"version_id" uuid NOT NULL,
	"filter" jsonb NOT NULL,
	"trigger_variables" jsonb DEFAULT '{}' NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"total" integer NOT NULL,
	"started" integer DEFAULT 0 NOT NULL,
	"cursor" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "segment_start_id" uuid;--> statement-breakpoint
CREATE INDEX "contacts_workspace_id_idx" ON "contacts" ("workspace_id","id");--> statement-breakpoint
CREATE INDEX "contacts_custom_fields_idx" ON "contacts" USING gin ("custom_fields" jsonb_path_ops);--> statement-breakpoint
CREATE UNIQUE INDEX "runs_segment_start_contact_uq" ON "runs" ("segment_start_id","contact_id") WHERE "segment_start_id" is not null;--> statement-breakpoint
CREATE INDEX "segment_starts_workflow_idx" ON "segment_starts" ("workflow_id","created_at");--> statement-breakpoint
CREATE INDEX "segment_starts_running_idx" ON "segment_starts" ("updated_at") WHERE "status" = 'running';--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_segment_start_id_segment_starts_id_fkey" FOREIGN KEY ("segment_start_id") REFERENCES "segment_starts"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "segment_starts" ADD CONSTRAINT "segment_starts_workspace_id_workspaces_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "segment_starts" ADD CONSTRAINT "segment_starts_workflow_id_workflows_id_fkey" FOREIGN KEY ("workflow_id") REFERENCES "workflows"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "segment_starts" ADD CONSTRAINT "segment_starts_version_id_workflow_versions_id_fkey" FOREIGN KEY ("version_id") REFERENCES "workflow_versions"("id") ON DELETE RESTRICT;
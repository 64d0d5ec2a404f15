ALTER TABLE "events" DROP CONSTRAINT "events_workspace_id_workspaces_id_fkey";--> statement-breakpoint
ALTER TABLE "deliveries" DROP CONSTRAINT "deliveries_workspace_id_workspaces_id_fkey";--> statement-breakpoint
DROP INDEX "runs_active_due_idx";--> statement-breakpoint
DROP INDEX "events_workspace_time_idx";--> statement-breakpoint
DROP INDEX "deliveries_workspace_idx";--> statement-breakpoint
DROP INDEX "deliveries_provider_message_idx";--> statement-breakpoint
CREATE INDEX "deliveries_provider_message_idx" ON "deliveries" ("channel_id","provider_message_id") WHERE "channel_id" is not null;--> statement-breakpoint
CREATE INDEX "runs_active_idx" ON "runs" ("id") WHERE "status" = 'active';
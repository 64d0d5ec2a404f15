CREATE INDEX "deliveries_sending_lease_idx" ON "deliveries" ("lease_until") WHERE "status" = 'sending';--> statement-breakpoint
CREATE INDEX "runs_workflow_idx" ON "runs" ("workflow_id","created_at");--> statement-breakpoint
CREATE INDEX "runs_contact_idx" ON "runs" ("contact_id","created_at");
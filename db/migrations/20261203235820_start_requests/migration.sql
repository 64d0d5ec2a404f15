CREATE TABLE "start_requests" (
	"workspace_id" uuid,
	"idempotency_key" text,
	"request_hash" text NOT NULL,
	"run_ids" uuid[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "start_requests_pkey" PRIMARY KEY("workspace_id","idempotency_key")
);
--> statement-breakpoint
CREATE INDEX "start_requests_created_idx" ON "start_requests" ("created_at");--> statement-breakpoint
ALTER TABLE "start_requests" ADD CONSTRAINT "start_requests_workspace_id_workspaces_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE;
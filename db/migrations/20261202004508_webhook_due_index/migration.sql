DROP INDEX "webhook_messages_due_idx";--> statement-breakpoint
CREATE INDEX "webhook_messages_due_idx" ON "webhook_messages" ("next_attempt_at") WHERE "status" in ('pending', 'delivering');
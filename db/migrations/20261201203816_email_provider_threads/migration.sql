ALTER TABLE "email_threads" ADD COLUMN "provider_thread_id" text;--> statement-breakpoint
ALTER TABLE "email_threads" ADD COLUMN "provider_thread_subject" text;
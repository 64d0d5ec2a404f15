ALTER TABLE "files" ADD COLUMN "storage_key" text;--> statement-breakpoint
ALTER TABLE "files" ALTER COLUMN "url" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "files" ADD CONSTRAINT "files_url_or_storage_key" CHECK (("url" is null) <> ("storage_key" is null));
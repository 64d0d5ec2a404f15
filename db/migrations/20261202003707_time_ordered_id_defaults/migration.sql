ALTER TABLE "deliveries" ALTER COLUMN "id" SET DEFAULT uuid_v7();--> statement-breakpoint
ALTER TABLE "runs" ALTER COLUMN "id" SET DEFAULT uuid_v7();
-- Claims move from the delivery row to the run row (edge/dispatch/claim.ts): a batch's claim is
-- a HOT update of its runs, and the delivery row is written once, with the attempt's outcome.
DROP INDEX "deliveries_sending_lease_idx";--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "delivery_id" uuid;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "delivery_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "delivery_finished" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "lease_until" timestamp with time zone;--> statement-breakpoint
-- Active runs keep the delivery they already have at their current visit (same id, same attempt
-- count, the lease of a send in flight, and whether it is finished), so an upgrade re-sends
-- nothing and loses no retry.
UPDATE "runs" r SET "delivery_id" = d."id", "delivery_attempts" = d."attempts",
  "delivery_finished" = d."status" IN ('sent', 'failed'),
  "lease_until" = CASE WHEN d."status" = 'sending' THEN d."lease_until" END
FROM "deliveries" d
WHERE r."status" = 'active' AND d."run_id" = r."id" AND d."step_id" = r."current_step_id"
  AND d."visit" = r."step_visit";--> statement-breakpoint
ALTER TABLE "deliveries" DROP COLUMN "lease_until";

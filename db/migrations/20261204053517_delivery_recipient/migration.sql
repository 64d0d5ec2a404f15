-- The address a delivery was sent to (db/schema/runs.ts, deliveries.recipient): written by its
-- first attempt, and where every retry of it goes. Nullable without a default: adding it
-- rewrites no row, and a Worker still running the statements of before (which name their
-- columns) writes rows without it until it is deployed.
ALTER TABLE "deliveries" ADD COLUMN "recipient" text;

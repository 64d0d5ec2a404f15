-- The channel a visit's delivery was last attempted on (db/schema/runs.ts, deliveryChannelId):
-- a retry of a Last Interacted step goes there instead of resolving the contact's channel again.
-- Nullable without a default: adding it rewrites no row.
ALTER TABLE "runs" ADD COLUMN "delivery_channel_id" uuid;
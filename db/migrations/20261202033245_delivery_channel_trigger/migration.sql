-- deliveries.channel_id has no foreign key any more (migration …_delivery_channel_key): the
-- record statement, the only one that sets it, locks the channel `for key share` itself (as the
-- key's check would) and records no channel for one already deleted. What the key's
-- `ON DELETE SET NULL` did is done here: a deleted channel's deliveries keep their rows, with no
-- channel. A delete waits for a record statement holding the channel's lock, and this trigger
-- then sees the deliveries it recorded.
CREATE FUNCTION "clear_deleted_channels_from_deliveries"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE deliveries SET channel_id = NULL
  WHERE channel_id IN (SELECT id FROM deleted_channels) AND channel_id IS NOT NULL;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "channels_delete_clears_deliveries" AFTER DELETE ON "channels"
  REFERENCING OLD TABLE AS deleted_channels
  FOR EACH STATEMENT EXECUTE FUNCTION "clear_deleted_channels_from_deliveries"();

-- A version 7 UUID (RFC 9562 §5.7): 48 bits of Unix time in milliseconds, then random bits
-- (gen_random_uuid's, with the version nibble set to 7; the variant bits stay RFC 4122's).
-- Runs and deliveries take their ids from it: ids created together sort together, so a
-- dispatch batch's rows and the index entries it adds share a few pages instead of touching a
-- random page (and writing its full-page image to the WAL) per row and index. Postgres 18 has
-- uuidv7() built in; 15 does not.
CREATE FUNCTION "uuid_v7"() RETURNS uuid LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  SELECT encode(
    set_bit(set_bit(
      overlay(uuid_send(gen_random_uuid())
        placing substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
        from 1 for 6),
      52, 1), 53, 1),
    'hex')::uuid
$$;
--> statement-breakpoint
-- Runs and deliveries behave like queues (rows updated at every step, finished ones kept):
-- vacuum and analyse them after 2% of their rows changed, not the default 20%, so that dead
-- index entries and stale statistics do not pile up between vacuums.
ALTER TABLE "runs" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
--> statement-breakpoint
ALTER TABLE "deliveries" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);

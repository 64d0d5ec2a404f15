-- Uploads are now stored under the types channels list (edge/media/sniff.ts): M4A as the
-- registered `audio/mp4` (RFC 4337), which WhatsApp and Messenger take, not file-type's
-- `audio/x-m4a`, which no channel names; Ogg Opus as `audio/ogg`. Uploads stored before keep
-- their bytes and get the same type, so steps can send them. Their links keep their extension
-- (`m4a`, `ogg`), which both types name (edge/media/upload-types.ts).
UPDATE "files" SET "content_type" = 'audio/mp4'
  WHERE "content_type" = 'audio/x-m4a' AND "storage_key" IS NOT NULL;
--> statement-breakpoint
UPDATE "files" SET "content_type" = 'audio/ogg'
  WHERE "content_type" = 'audio/opus' AND "storage_key" IS NOT NULL;

-- Channels saved before providers existed go through their type's first integration in
-- edge/channels/registry.ts (the code reads a null provider the same way: providerOf).
UPDATE "channels"
SET "provider" = CASE "type"
  WHEN 'email' THEN 'smtp'
  WHEN 'custom' THEN 'webhook'
  WHEN 'whatsapp' THEN 'meta'
  WHEN 'messenger' THEN 'meta'
  WHEN 'telegram' THEN 'telegram'
  WHEN 'sms' THEN 'twilio'
END
WHERE "provider" IS NULL;

-- A compact event (db/event-log.ts, COMPACT_EVENT_FIELDS): the dispatch record's delivery.* and
-- run.* events keep their few fields in columns of the element and no `data`; readers build the
-- JSON (eventColumns). Building 300 JSON objects per batch of 100 sends cost the record
-- statement ~1.9 ms of its ~5 ms (100 deliveries × 3 events appended: 3.4 ms as JSON objects,
-- 1.4 ms as columns). Elements stored before keep their `data` and read these as null.
ALTER TYPE "batched_event"
  ADD ATTRIBUTE "step_id" uuid,
  ADD ATTRIBUTE "visit" integer,
  ADD ATTRIBUTE "status" text,
  ADD ATTRIBUTE "provider_message_id" text,
  ADD ATTRIBUTE "reason_code" text,
  ADD ATTRIBUTE "reason_detail" text,
  ADD ATTRIBUTE "from_step_id" uuid,
  ADD ATTRIBUTE "exit_reason" text;

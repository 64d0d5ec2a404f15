CREATE TABLE "workspace_revisions" (
	"workspace_id" uuid PRIMARY KEY,
	"revision" bigint DEFAULT 0 NOT NULL
);

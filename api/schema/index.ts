/**
 * Every schema module, imported for its side effect of adding types and fields to the one
 * builder (api/builder.ts). api/server.ts imports this file and then builds the schema.
 *
 * Keep this a plain list of side-effect imports, one per line; error types come first because
 * mutations in the other modules list them in their `errors` option.
 */
import './error';
import './file-errors';
import './workspace';
import './api-key';
import './channel';
import './channel-mutations';
import './snippet';
import './file';
import './file-upload';
import './contact';
import './contact-identity';
import './conversation';
import './workflow';
import './step';
import './step-mutations';
import './publish';
import './delivery';
import './run';
import './step-preview';
import './delivery-event';
import './webhook-message';
import './webhook-endpoint';
import './segment-start';

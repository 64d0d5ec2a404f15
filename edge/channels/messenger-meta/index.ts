import type { ChannelIntegration } from '../integration';
import { messengerMetaDefinition } from './definition';

/** Messenger through Meta's Messenger Platform (definition only so far). */
export const messengerMetaIntegration: ChannelIntegration = { definition: messengerMetaDefinition };

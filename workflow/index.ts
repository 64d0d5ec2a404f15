/** The pure workflow logic shared by api/ (validation, previews) and edge/ (sending). */
export * from './channel-capabilities';
export * from './channel-types';
export * from './contact-fields';
export * from './graph';
export * from './message-texts';
export * from './publish';
export * from './resolve';
export * from './rich-text';
export * from './routing';
export * from './snippets';
export * from './steps';
export * from './system-time';
export * from './text-length';
export * from './types';
export * from './validate-step';
export * from './validation-issue';
export * from './variables';

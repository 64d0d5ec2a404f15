export * from './channels';
export * from './contacts';
export * from './events';
export * from './library';
export * from './messages';
export * from './runs';
export * from './tenancy';
export * from './workflows';

export * from './channels';
export * from './contacts';
export * from './library';
export * from './runs';
export * from './tenancy';
export * from './workflows';

export * from './admin.js';
export * from './agents.js';
export * from './auth.js';
export * from './common.js';
export * from './errors.js';
export * from './group-settings.js';
export * from './sessions.js';
export * from './system.js';

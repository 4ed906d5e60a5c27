export * from './admin-roles';
export * from './user-attributes';
export * from './events';
export * from './rpc';
export * from './api-key-client';
export * from './snapshot';
export * from './organization-branding';

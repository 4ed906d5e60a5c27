export * from './entity-id';
export * from './events';
export * from './snapshot';

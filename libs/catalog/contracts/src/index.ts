export * from './endpoint-url';
export * from './entity-id';
export * from './events';
export * from './name-id';
export * from './portal';
export * from './snapshot';

export * from './ensure-database';
export * from './data-source-options';
export * from './versioned-link';
export * from './upsert-if-newer';
export * from './group-commit';
export * from './rows-after';
export * from './replace-from-snapshot';
export * from './database-unavailable';

export * from './history';
export * from './intervals';
export * from './checker';
export * from './prng';
export * from './run';
export * from './summary';

export * from './history';
export * from './intervals';
export * from './checker';

export * from './domain-error';
export * from './error-filter';
export * from './zod-body';
export * from './api-key';
export * from './health';
export * from './service-kit.module';
export * from './run-service';
export * from './common-dto';

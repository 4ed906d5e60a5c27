export * from './eventually';
export * from './test-env';
export * from './service-process';
export * from './browser';
export * from './stream-reader';
export * from './nats-server';
export * from './admin-client';
export * from './xmlsec';

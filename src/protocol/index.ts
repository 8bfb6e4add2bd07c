export * from './site-registry';
export * from './site-state';
export * from './sidecar-api';
export * from './live-encoding';
export * from './error-codes';

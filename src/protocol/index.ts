export * from './site-registry';
export * from './site-state';
export * from './sidecar-api';

export * from './site-registry';
export * from './sidecar-api';

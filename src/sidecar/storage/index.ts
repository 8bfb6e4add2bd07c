export * from './errors';
export * from './site-credentials';
export * from './sts-web-identity';

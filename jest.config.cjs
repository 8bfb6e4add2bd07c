/**
 * Jest: TypeScript tests next to the code, in `__tests__/*.spec.ts`.
 * Protocol and sidecar tests run in Node; ts-jest compiles them to CommonJS
 * (the bundles are ESM, built by esbuild, not by ts-jest).
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src'],
  testMatch: ['<rootDir>/src/**/__tests__/*.spec.ts'],
  transform: {
    '^.+\\.tsx?$': [
      'ts-jest',
      {
        tsconfig: {
          esModuleInterop: true,
          module: 'commonjs',
          moduleResolution: 'node',
          resolveJsonModule: true,
          strict: true,
          target: 'es2022',
          types: ['node', 'jest']
        }
      }
    ]
  }
};

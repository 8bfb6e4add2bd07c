/**
 * Jest: TypeScript tests next to the code, in `__tests__/*.spec.ts(x)`.
 *
 * - `node`: protocol and sidecar tests; ts-jest compiles them to CommonJS
 *   (the bundles are ESM, built by esbuild, not by ts-jest).
 * - `lab`: the JupyterLab frontend in jsdom. JupyterLab's packages ship ES
 *   modules, so ts-jest (allowJs) compiles those too; SVG and CSS imports are
 *   stubbed.
 */
const tsconfig = {
  allowJs: true,
  esModuleInterop: true,
  jsx: 'react',
  module: 'commonjs',
  moduleResolution: 'node',
  resolveJsonModule: true,
  strict: true,
  target: 'es2022',
  types: ['node', 'jest']
};

// ES-module packages under node_modules that the `lab` tests load.
const esmPackages = [
  '@jupyterlab',
  '@jupyter',
  '@jupyter-widgets',
  '@lumino',
  '@microsoft',
  '@rjsf',
  'lib0',
  'msgpackr',
  'y-protocols',
  'yjs',
  'exenv-es6',
  'nanoid'
].join('|');

module.exports = {
  projects: [
    {
      displayName: 'node',
      testEnvironment: 'node',
      roots: ['<rootDir>/src'],
      testMatch: [
        '<rootDir>/src/protocol/**/__tests__/*.spec.ts',
        '<rootDir>/src/sidecar/**/__tests__/*.spec.ts'
      ],
      transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig }] }
    },
    {
      displayName: 'lab',
      testEnvironment:
        '<rootDir>/src/lab/__tests__/support/jsdom-environment.js',
      roots: ['<rootDir>/src'],
      testMatch: ['<rootDir>/src/lab/**/__tests__/*.spec.ts?(x)'],
      setupFiles: ['<rootDir>/src/lab/__tests__/support/setup.js'],
      moduleNameMapper: {
        '\\.svg$': '<rootDir>/src/lab/__tests__/support/svg-stub.js',
        '\\.css$': '<rootDir>/src/lab/__tests__/support/css-stub.js'
      },
      transformIgnorePatterns: [`/node_modules/(?!(${esmPackages})/)`],
      transform: {
        '^.+\\.[tj]sx?$': [
          'ts-jest',
          {
            tsconfig: { ...tsconfig, isolatedModules: true },
            diagnostics: false
          }
        ]
      }
    }
  ]
};

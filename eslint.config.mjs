/**
 * ESLint: the JupyterLab extension template's rules (typescript-eslint,
 * @jupyter/eslint-plugin, the `I` prefix of interfaces, curly braces, ===),
 * for the browser code, the sidecar, the testbed issuer, their tests and the
 * UI tests. Formatting is prettier's (`npm run lint` checks it apart), so
 * eslint-config-prettier turns off the rules that would disagree with it.
 */
import js from '@eslint/js';
import jupyterPlugin from '@jupyter/eslint-plugin';
import prettierConfig from 'eslint-config-prettier';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig([
  {
    ignores: [
      'node_modules',
      'ui-tests/node_modules',
      '.venv',
      'lib',
      'jupyter_ext_server',
      'ui-tests/playwright-report',
      'ui-tests/test-results',
      '**/*.js',
      '**/*.cjs',
      '**/*.mjs',
      '**/*.d.ts'
    ]
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  jupyterPlugin.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      globals: { ...globals.browser, ...globals.es2021, ...globals.node },
      parserOptions: {
        // Each part has its own compiler settings (browser, Node, UI tests).
        project: [
          './tsconfig.lab-tests.json',
          './tsconfig.node.json',
          './ui-tests/tsconfig.json'
        ],
        tsconfigRootDir: import.meta.dirname,
        sourceType: 'module'
      }
    },
    rules: {
      '@typescript-eslint/naming-convention': [
        'error',
        {
          selector: 'interface',
          format: ['PascalCase'],
          custom: { regex: '^I[A-Z]', match: true }
        }
      ],
      '@typescript-eslint/no-unused-vars': ['error', { args: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/no-use-before-define': 'off',
      curly: ['error', 'all'],
      eqeqeq: 'error',
      'prefer-arrow-callback': 'error',
      // A variable a callback reads before it is assigned cannot be const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // The plugins render the sidebar and cell badges at start: lazy imports
      // would only split the bundle into chunks that load at once anyway.
      'jupyter/prefer-lazy-imports': 'off'
    }
  },
  {
    // Only the Lab shows text to people through its translator; the sidecar's
    // and the issuer's messages, and test data, are not UI strings.
    files: [
      'src/sidecar/**',
      'src/testbed-issuer/**',
      'src/protocol/**',
      '**/__tests__/**',
      'ui-tests/**'
    ],
    rules: { 'jupyter/no-untranslated-string': 'off' }
  },
  prettierConfig
]);

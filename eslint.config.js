// Lint holds the import direction of DESIGN.md: lower layers never import higher ones.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const layer = (files, forbidden) => ({
  files,
  rules: {
    '@typescript-eslint/no-restricted-imports': ['error', {
      patterns: forbidden.map((dir) => ({ group: [`**/${dir}/*`, `../${dir}/*`], message: `DESIGN.md: this layer must not import ${dir}/` })),
    }],
  },
});

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  layer(['src/protocol/**'], ['broker', 'transports', 'auth', 'registry', 'pki', 'control', 'store', 'bus', 'cli', 'config']),
  layer(['src/broker/**'], ['transports', 'control', 'registry', 'pki', 'cli', 'store/sqlite']),
  layer(['src/store/**'], ['broker', 'transports', 'control', 'cli', 'protocol']),
  layer(['src/registry/**', 'src/pki/**'], ['broker', 'transports', 'control', 'cli', 'protocol', 'store/sqlite']),
  layer(['src/auth/**'], ['transports', 'control', 'cli']),
  layer(['src/control/**'], ['broker', 'transports', 'cli', 'store/sqlite']),
  layer(['src/transports/**'], ['control', 'cli', 'store/sqlite']),
  layer(['src/bus/**'], ['broker', 'transports', 'control', 'cli']),
  // The console's server side reaches the broker only through subscriptions and the gate (DESIGN.md).
  layer(['src/console/*.ts'], ['transports', 'cli', 'store/sqlite', 'control']),
  // The console's pages run in a browser: they share types with the server (console/api-types.ts) and nothing else of it.
  layer(['src/console/web/**'], ['broker', 'transports', 'auth', 'pki', 'control', 'store', 'bus', 'cli', 'config', 'protocol', 'observe']),
);

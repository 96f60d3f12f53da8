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
  layer(['src/broker/**'], ['transports', 'control', 'registry', 'pki', 'cli', 'store/sqlite', 'store/postgres']),
  layer(['src/store/**'], ['broker', 'transports', 'control', 'cli', 'protocol']),
  layer(['src/registry/**', 'src/pki/**'], ['broker', 'transports', 'control', 'cli', 'protocol', 'store/sqlite', 'store/postgres']),
  layer(['src/auth/**'], ['transports', 'control', 'cli']),
  layer(['src/control/**'], ['broker', 'transports', 'cli', 'store/sqlite', 'store/postgres']),
  layer(['src/transports/**'], ['control', 'cli', 'store/sqlite', 'store/postgres']),
  layer(['src/bus/**'], ['broker', 'transports', 'control', 'cli']),
);

// Lint holds the import direction of DESIGN.md (lower layers never import higher ones) and forbids
// import circles anywhere in src/ (import-x/no-cycle, `import type` included: a circle of types is
// still two modules that cannot be read apart).
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
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
  {
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    plugins: { 'import-x': importX },
    settings: {
      // import-x reads the modules a file imports to follow a circle: it must parse TypeScript and find `.js` imports' `.ts` files.
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/extensions': ['.ts', '.tsx', '.js'],
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: ['tsconfig.json', 'src/console/web/tsconfig.json'], noWarnOnMultipleProjects: true })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  layer(['src/protocol/**'], ['broker', 'services', 'transports', 'auth', 'registry', 'pki', 'control', 'store', 'bus', 'cli', 'config']),
  layer(['src/broker/**'], ['services', 'transports', 'control', 'registry', 'pki', 'cli', 'store/sqlite', 'store/postgres']),
  // Services (shadow/, later jobs/, rules/) sit above the broker: the Store port's types, protocol/ and
  // auth types, never a socket, a concrete backend, the registry or the control plane.
  layer(['src/services/**'], ['transports', 'control', 'cli', 'registry', 'pki', 'bus', 'config', 'store/sqlite', 'store/postgres']),
  layer(['src/store/**'], ['broker', 'services', 'transports', 'control', 'cli', 'protocol']),
  layer(['src/registry/**', 'src/pki/**'], ['broker', 'services', 'transports', 'control', 'cli', 'protocol', 'store/sqlite', 'store/postgres']),
  layer(['src/auth/**'], ['services', 'transports', 'control', 'cli']),
  layer(['src/control/**'], ['broker', 'transports', 'cli', 'store/sqlite', 'store/postgres']),
  layer(['src/transports/**'], ['control', 'cli', 'store/sqlite', 'store/postgres']),
  layer(['src/bus/**'], ['broker', 'services', 'transports', 'control', 'cli']),
  // The console's server side reaches the broker only through subscriptions and the gate (DESIGN.md).
  layer(['src/console/*.ts'], ['transports', 'cli', 'store/sqlite', 'store/postgres', 'control']),
  // The console's pages run in a browser: they share types with the server (console/api-types.ts) and nothing else of it.
  layer(['src/console/web/**'], ['broker', 'services', 'transports', 'auth', 'pki', 'control', 'store', 'bus', 'cli', 'config', 'protocol', 'observe']),
);

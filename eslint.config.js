// Lint: type-aware rules plus the layer boundaries of docs/architecture.md.
// The layer rules below are the architecture, enforced — do not relax them to make an import pass;
// move the code to the layer that may do the work instead.
import tseslint from 'typescript-eslint';

const nodeIo = [
  'node:fs',
  'node:fs/promises',
  'node:http',
  'node:https',
  'node:net',
  'node:child_process',
  'node:dgram',
  'node:dns',
  'node:os',
  'node:crypto',
  'fs',
  'http',
  'https',
  'net',
  'child_process',
  'os',
  'crypto',
];
const sqlDrivers = ['better-sqlite3', 'pg', 'kysely'];

function banImports(patterns, message) {
  return { 'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }] };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bin/**', '.berth/**', 'bench/results/**', 'eslint.config.js'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe/it return promises the runner itself tracks.
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // core/: pure domain logic. No I/O, no other layer, no clock or randomness (passed in instead).
    files: ['src/core/**/*.ts'],
    rules: {
      ...banImports(
        [...nodeIo, ...sqlDrivers, '**/store/**', '**/control/**', '**/api/**', '**/cli/**', '**/app/**'],
        'core/ is pure: it imports no I/O module and no outer layer (docs/architecture.md).',
      ),
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'core/ takes the clock as an argument.' },
        { object: 'Math', property: 'random', message: 'core/ takes randomness as an argument.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'core/ takes the clock as an argument.',
        },
      ],
    },
  },
  {
    // Only store/ talks to the SQL drivers.
    files: ['src/api/**/*.ts', 'src/control/**/*.ts', 'src/cli/**/*.ts'],
    rules: banImports([...sqlDrivers], 'Only store/ imports the SQL drivers; go through a repository.'),
  },
  {
    // store/ is the bottom layer: it may use core types, nothing above it.
    files: ['src/store/**/*.ts'],
    rules: banImports(
      ['**/control/**', '**/api/**', '**/cli/**', '**/app/**'],
      'store/ depends on core/ only.',
    ),
  },
  {
    // control/ holds the operations; the wire protocol is api/'s business.
    files: ['src/control/**/*.ts'],
    rules: banImports(
      ['**/api/**', '**/cli/**', '**/app/**', 'node:http'],
      'control/ knows no wire protocol or CLI.',
    ),
  },
  {
    // Handlers are thin and never reach past control/ into the store's internals.
    files: ['src/api/**/*.ts'],
    rules: banImports(
      ['**/cli/**', '**/app/**', '**/store/migrations/**', '**/store/dialect*'],
      'api/ calls control/ operations; the composition root (app/) wires the store.',
    ),
  },
  {
    // agent/ runs on a host and talks to the control plane only through the public agent API, as a
    // remote agent would: never the store, the controllers, the composition roots or a SQL driver.
    files: ['src/agent/**/*.ts'],
    rules: banImports(
      [...sqlDrivers, '**/store/**', '**/control/**', '**/app/**'],
      'agent/ reaches the control plane only through the public agent API (docs/architecture.md).',
    ),
  },
  {
    // sim/: pieces of `berth sim` (the fleet's shape, bounded start-up, the readiness check). Its
    // hosts are real agents: like agent/, it reaches the control plane only through the public API.
    files: ['src/sim/**/*.ts'],
    rules: banImports(
      [...sqlDrivers, '**/store/**', '**/control/**', '**/api/**', '**/app/**', '**/cli/**'],
      'sim/ reaches the control plane only through the public API; app/sim.ts wires it (docs/sim.md).',
    ),
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);

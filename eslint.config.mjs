// Workspace ESLint config: TypeScript rules plus Nx module boundaries.
// Layers: apps → features → drivers → protocol → util (an arrow means "may import").
import nx from '@nx/eslint-plugin';

/** Rules only libraries (packages/*) follow: they take config and a logger in options. */
export const libraryRules = [
  {
    files: ['**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.test-util.ts', '**/bin/**', 'bench/**'],
    rules: {
      // Libraries take a logger; only apps and tools write to the console.
      'no-console': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Libraries never read process.env: take the value in options.' },
        { object: 'process', property: 'argv', message: 'Libraries never read process.argv: apps parse their flags.' },
      ],
    },
  },
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    ignores: ['**/dist', '**/out-tsc', '**/node_modules', '**/vite.config.*.timestamp*', '**/vitest.config.*.timestamp*', 'reports/**'],
  },
  {
    files: ['**/*.ts', '**/*.mts', '**/*.js', '**/*.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: ['^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$', '^.*/vitest\\.preset(\\.[jt]s)?$'],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:feature', 'type:driver', 'type:protocol', 'type:util'] },
            { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:feature', 'type:driver', 'type:protocol', 'type:util'] },
            { sourceTag: 'type:driver', onlyDependOnLibsWithTags: ['type:driver', 'type:protocol', 'type:util'] },
            { sourceTag: 'type:protocol', onlyDependOnLibsWithTags: ['type:protocol', 'type:util'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:util', 'type:protocol', 'type:tool'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['*'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
];

// ESLint flat config: typescript-eslint with type-aware rules (no-floating-promises kept on).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['.dependency-cruiser.cjs', 'dist/**', 'node_modules/**', 'test/fixtures/**', 'src/http/dashboard/vendor/**', '.data/**', 'data/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/require-await': 'off',
      // zod's `z` object re-exports every locale (~300 KiB the bundler cannot drop): a namespace import keeps only what is used (issue #10).
      'no-restricted-syntax': ['error', {
        selector: "ImportDeclaration[source.value='zod'][importKind!='type'] > :matches(ImportSpecifier[imported.name='z'][importKind!='type'], ImportDefaultSpecifier)",
        message: "use import * as z from 'zod' (the z object pulls every zod locale into the start bundle)",
      }, {
        // lru-cache's `max` allocates arrays for every entry up front (idle RSS, issue #10).
        selector: "NewExpression[callee.name='LRUCache'] > ObjectExpression > Property[key.name='max']",
        message: 'bound the entries with entryBound(n) from cache/lru-bound.ts (max allocates storage for every entry at start)',
      }],
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);

import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.engage/**', '**/.engage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration in config.ts only.' }],
    },
  },
  { files: ['**/config.ts', '**/*.test.ts', 'packages/server/test/**', 'bench/**', '*.config.*'], rules: { 'no-restricted-properties': 'off' } },
  // Tests read JSON answers loosely; their assertions are the type check.
  { files: ['**/*.test.ts', 'packages/server/test/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);

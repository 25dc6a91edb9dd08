// Lint: eslint + typescript-eslint (type-aware rules stay off so lint is fast; `tsc --noEmit` checks types).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'charts/**', 'crds/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', fetch: 'readonly', structuredClone: 'readonly', performance: 'readonly', queueMicrotask: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'warn',
      'no-console': ['error', { allow: ['error'] }],
      // One kind of privacy: ECMAScript #private (enforced at run time, and what most of the code uses).
      // `private constructor` stays: a factory-only class has no # form.
      'no-restricted-syntax': ['error',
        { selector: "PropertyDefinition[accessibility='private']", message: 'Use a #private field, not the TypeScript private modifier.' },
        { selector: "MethodDefinition[accessibility='private'][kind!='constructor']", message: 'Use a #private method, not the TypeScript private modifier.' },
      ],
    },
  },
  { files: ['cli/**', 'bench/**', 'test/**', 'examples/**'], rules: { 'no-console': 'off' } },
);

// Lint: typescript-eslint's recommended rules over the sources and tests. Formatting is
// prettier's job (npm run format:check), so no style rules here.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'results/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      // Flags any method named apply (the injector has one), not just Function.prototype.apply.
      'prefer-spread': 'off',
      // `a >= b ? x++ : y++` is the hot loops' idiom for a two-way count.
      '@typescript-eslint/no-unused-expressions': ['error', { allowTernary: true }],
      // Unused bindings are dead code; a leading underscore marks a deliberate one.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
);

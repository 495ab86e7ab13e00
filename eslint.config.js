// ESLint (flat config): the recommended JavaScript and typescript-eslint rules over every
// TypeScript and JavaScript file we write; formatting is Prettier's (.prettierrc.json), not ESLint's.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', '.venv/', '.torch-cuda/', '.device/', 'lib/native/raw.ts', 'lib/native/error-codes.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      // `_`-prefixed names are deliberately unused (a destructured field left out, a required parameter).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  // The Electron example: a browser page and a CommonJS preload script (Electron requires one there).
  { files: ['examples/electron/renderer.js'], languageOptions: { globals: globals.browser } },
  { files: ['examples/electron/preload.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
);

// ESLint (flat config) with typescript-eslint for the chaincode, the gateway and the client, run by `npm test`.
// `medrec/layers` enforces the gateway's layer rule (gateway/scripts/layers.mjs): no import from a
// lower layer of gateway/src to a higher one, none from src to demo, entry point or test code, and
// workspace packages only where and as far as the rule allows (@medrec/client/protocol from services).
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importViolation } from './gateway/scripts/layers.mjs';

const gateway = resolve(dirname(fileURLToPath(import.meta.url)), 'gateway');

const layers = {
  meta: { type: 'problem', docs: { description: "the gateway's layer rule" }, schema: [] },
  create(context) {
    const from = relative(gateway, context.filename).split('\\').join('/');
    const check = (node) => {
      const spec = node.source?.value;
      if (typeof spec !== 'string') return;
      const why = importViolation(gateway, from, spec);
      if (why) context.report({ node: node.source, message: why });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.tap/**', '.fabric/**', 'data/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // JSON from the network is typed at the boundary; tests read loosely typed answers on purpose.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // fabric-contract-api's decorators need the class names the contracts declare.
      '@typescript-eslint/no-unsafe-declaration-merging': 'off',
    },
  },
  {
    files: ['gateway/src/**/*.ts'],
    plugins: { medrec: { rules: { layers } } },
    rules: { 'medrec/layers': 'error' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);

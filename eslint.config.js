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
  { files: ['**/config.ts', '**/*.test.ts', 'packages/server/test/**', 'packages/web/test/**', 'bench/**', '*.config.*'], rules: { 'no-restricted-properties': 'off' } },
  // The web app runs in the browser: browser globals.
  {
    files: ['packages/web/src/**/*.{ts,tsx}'],
    languageOptions: {
      globals: {
        window: 'readonly', document: 'readonly', navigator: 'readonly', location: 'readonly', history: 'readonly',
        localStorage: 'readonly', sessionStorage: 'readonly', EventSource: 'readonly', URLSearchParams: 'readonly',
        FormData: 'readonly', Headers: 'readonly', Request: 'readonly', Response: 'readonly', AbortController: 'readonly',
        HTMLElement: 'readonly', HTMLInputElement: 'readonly', HTMLTextAreaElement: 'readonly', HTMLDialogElement: 'readonly',
        HTMLSelectElement: 'readonly', KeyboardEvent: 'readonly', MouseEvent: 'readonly', Event: 'readonly', File: 'readonly',
        Blob: 'readonly', Intl: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly',
        clearInterval: 'readonly', requestAnimationFrame: 'readonly', matchMedia: 'readonly', confirm: 'readonly',
        XMLHttpRequest: 'readonly', ProgressEvent: 'readonly', CustomEvent: 'readonly', getComputedStyle: 'readonly',
      },
    },
    // Lead messages and CSV data are untrusted: the web app renders text only, never HTML.
    rules: {
      'no-restricted-syntax': ['error',
        { selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']", message: 'Render untrusted text as text (XSS).' },
        { selector: 'MemberExpression[property.name=/^(innerHTML|outerHTML)$/]', message: 'Render untrusted text as text (XSS).' },
        { selector: "CallExpression[callee.property.name=/^(insertAdjacentHTML|write|writeln)$/]", message: 'Render untrusted text as text (XSS).' },
      ],
    },
  },
  // Tests read JSON answers loosely; their assertions are the type check.
  { files: ['**/*.test.ts', 'packages/server/test/**', 'packages/web/test/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);

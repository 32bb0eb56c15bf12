/**
 * One Vite build, two pages: the operator console (`index.html`, served at `/`) and the
 * embeddable agent widget (`engage.html`, served at `/engage?key=`). Each page is its own entry,
 * so the widget never loads the console's code (its budget is 60 KB gzipped, checked by
 * test/bundle-size.test.ts). The server serves `dist/` (packages/server/src/http/static.ts).
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const page = (name: string) => fileURLToPath(new URL(name, import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  // The code is React; it runs on Preact's React-compatible core. React 19's react-dom alone is
  // 68 KB gzipped, over the widget's whole budget (docs/decisions.md, 2026-11-24).
  resolve: {
    alias: [
      { find: /^react-dom\/client$/, replacement: 'preact/compat/client' },
      { find: /^react-dom$/, replacement: 'preact/compat' },
      { find: /^react$/, replacement: 'preact/compat' },
      { find: /^react\/jsx(-dev)?-runtime$/, replacement: 'preact/jsx-runtime' },
    ],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The manifest maps each page to its chunks; the bundle-size test reads it.
    manifest: true,
    target: 'es2022',
    sourcemap: false,
    rolldownOptions: {
      input: { console: page('index.html'), engage: page('engage.html') },
    },
  },
});

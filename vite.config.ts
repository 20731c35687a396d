/**
 * Vite builds the browser UI: src/web/index.html and what it imports (the library under src/,
 * the same code the CLI runs) into dist/web, which `synack ui` serves and the npm package ships.
 * Relative asset paths (base './') so the page works from any URL prefix.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('./src/web/', import.meta.url));

export default defineConfig({
  root,
  base: './',
  publicDir: 'public',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('./dist/web/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 400,
  },
});

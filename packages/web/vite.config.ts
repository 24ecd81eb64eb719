import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The API (and the session stream) in development: `porthole up` on its default port.
const api = process.env.PORTHOLE_DEV_API ?? 'https://127.0.0.1:8443';

export default defineConfig({
  plugins: [react()],
  resolve: {
    // Contracts from source, as the tests do: no build of the contracts package needed first.
    alias: { '@porthole/contracts': fileURLToPath(new URL('../contracts/src/index.ts', import.meta.url)) },
  },
  // noVNC uses top-level await (WebCodecs probe), so the output must be ES2022.
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  optimizeDeps: { include: ['@novnc/novnc'] },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': { target: api, secure: false, changeOrigin: true },
      '/session': { target: api, secure: false, changeOrigin: true, ws: true },
    },
  },
});

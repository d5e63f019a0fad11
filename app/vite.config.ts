import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Served by each hospital's gateway under /app/ (gateway/src/http/plugins/app-static.ts); one origin, no CDN.
export default defineConfig({
  base: '/app/',
  plugins: [react()],
  // tap brings React 18 to the repository root for its reporter; the app and its router use this workspace's React.
  resolve: { dedupe: ['react', 'react-dom'] },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 2048, target: ['chrome120', 'firefox120', 'safari17'] },
});

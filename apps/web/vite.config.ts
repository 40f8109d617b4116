import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig, type PluginOption } from 'vite';

// Everything the dev server does not serve itself goes to the API server, as in production where
// the API server serves the built app.
const apiServer = 'http://localhost:5000';

export default defineConfig({
  // @vitejs/plugin-react is installed at the root, where it sees the Vite 8 types vitest brought;
  // this app builds with Vite 7, whose plugin type differs only in those types.
  plugins: [react() as PluginOption],
  resolve: {
    // Workspace packages (the contract) are read from their TypeScript sources, no build needed first.
    conditions: ['source', ...defaultClientConditions],
  },
  build: { outDir: 'dist', emptyOutDir: true },
  server: {
    port: 5173,
    strictPort: true,
    proxy: { '/api': apiServer, '/trpc': apiServer, '/docs': apiServer },
  },
});

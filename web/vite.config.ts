import { defineConfig } from 'vitest/config';

// The dev server forwards everything the real backend owns, so `npm run dev`
// behaves like the page served by the .NET server itself.
const backend = process.env['BACKEND_URL'] ?? 'http://localhost:8000';

export default defineConfig({
  base: '/',
  server: {
    proxy: {
      '/ws': { target: backend, ws: true, changeOrigin: true },
      '/health': { target: backend, changeOrigin: true },
      '/api': { target: backend, changeOrigin: true },
      '/docs': { target: backend, changeOrigin: true },
      '/openapi': { target: backend, changeOrigin: true },
      '/redoc': { target: backend, changeOrigin: true },
      '/metrics': { target: backend, changeOrigin: true },
      '/ready': { target: backend, changeOrigin: true },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Two pages: the app, and the admin view (served by the server at /admin; /admin.html in `npm run dev`).
    rolldownOptions: {
      input: { main: 'index.html', admin: 'admin.html' },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});

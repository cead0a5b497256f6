// Vite config for the wgportal web UI. Relative asset URLs (base './') so the bundle works under
// any web.base_path; hashed files under assets/. `npm run dev` proxies /api to WGP_API
// (default http://127.0.0.1:8888); WGP_DEV_SHIM=1 adds a dev-only session shim for daemons
// that only speak Basic auth (see dev-shim.js; never part of the build).
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

export default defineConfig(async ({ command }) => {
  const target = process.env.WGP_API || 'http://127.0.0.1:8888'
  const plugins = [vue()]
  if (command === 'serve' && process.env.WGP_DEV_SHIM === '1') {
    const { devShim } = await import('./dev-shim.js')
    plugins.push(devShim(target))
  }
  return {
    base: './',
    plugins,
    build: {
      outDir: 'dist',
      assetsDir: 'assets',
      target: 'es2022',
      modulePreload: { polyfill: false },
      reportCompressedSize: true,
      chunkSizeWarningLimit: 200,
    },
    server: {
      host: '127.0.0.1',
      port: Number(process.env.WGP_DEV_PORT || 19710),
      strictPort: true,
      proxy: process.env.WGP_DEV_SHIM === '1' ? undefined : { '/api': { target, changeOrigin: false } },
    },
  }
})

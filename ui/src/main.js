import { createApp } from 'vue'
import App from './App.vue'
import { router } from './router.js'
import { session, restoreSession, setUnauthorizedHandler, get } from './api.js'
import './style.css'

setUnauthorizedHandler(() => {
  if (session.user) {
    session.user = null
    session.csrf = ''
    router.push({ name: 'login', query: { next: router.currentRoute.value.fullPath } })
  }
})

// The view of a deep link is fetched while the session is restored, not after it: dynamic
// imports of one module share one load, so the router's later import() finds it ready.
const warm = { '#/interfaces': () => import('./views/Interfaces.vue'), '#/peers': () => import('./views/MyPeers.vue') }
Object.entries(warm).find(([h]) => location.hash.startsWith(h))?.[1]().catch(() => {})

async function boot() {
  const [ui] = await Promise.allSettled([get('ui/settings'), restoreSession()])
  if (ui.status === 'fulfilled' && ui.value) Object.assign(session.ui, ui.value)
  document.title = session.ui.SiteTitle || 'WireGuard Portal'
  createApp(App).use(router).mount('#app')
}
boot()

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

async function boot() {
  const [ui] = await Promise.allSettled([get('ui/settings'), restoreSession()])
  if (ui.status === 'fulfilled' && ui.value) Object.assign(session.ui, ui.value)
  document.title = session.ui.SiteTitle || 'WireGuard Portal'
  createApp(App).use(router).mount('#app')
}
boot()

// More than one node (docs/cluster.md): the UI asks GET /cluster every few seconds while a view
// that shows shared data is open. Its LastChange is the time of the latest change any node made;
// when it grows, the view reloads, so a change made through another node shows up here too.
import { reactive, onMounted, onBeforeUnmount } from 'vue'
import { get } from './api.js'

export const cluster = reactive({ view: null, error: '' })

export async function loadCluster() {
  try {
    cluster.view = await get('cluster')
    cluster.error = ''
  } catch (e) { cluster.error = e.message }
  return cluster.view
}

// onChange() runs when another node (or this one) reports a newer change than the last seen.
export function useChangeFeed(onChange, everyMs = 3000) {
  let seen = null
  let timer = null
  async function poll() {
    if (document.hidden) return
    const v = await loadCluster()
    const at = v?.LastChange || 0
    if (seen !== null && at > seen) onChange()
    seen = Math.max(seen || 0, at)
  }
  onMounted(() => { poll(); timer = setInterval(poll, everyMs) })
  onBeforeUnmount(() => clearInterval(timer))
}

import { ref, onScopeDispose } from 'vue'
import { reactive } from 'vue'

export function fmtBytes(n) {
  if (n === null || n === undefined) return '–'
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  let v = Number(n)
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i++ }
  return (i ? v.toFixed(v < 10 ? 1 : 0) : v) + ' ' + u[i]
}

// One clock for every "… ago" on screen: it ticks each second while anything reads it, so a
// relative time keeps counting between statistics updates instead of freezing.
export const clock = ref(Date.now())
setInterval(() => { clock.value = Date.now() }, 1000)

// "3 min ago" style, language-aware through Intl. Reads the shared clock, so a component that
// shows it re-renders every second (only the text, not its row).
export function fmtAgo(iso, lang) {
  if (!iso) return '–'
  const t = Date.parse(iso)
  if (!Number.isFinite(t) || t <= 0) return '–'
  const s = Math.round((t - clock.value) / 1000)
  const rtf = new Intl.RelativeTimeFormat(lang, { numeric: 'auto', style: 'short' })
  const a = Math.abs(s)
  if (a < 60) return rtf.format(s, 'second')
  if (a < 3600) return rtf.format(Math.round(s / 60), 'minute')
  if (a < 86400) return rtf.format(Math.round(s / 3600), 'hour')
  return rtf.format(Math.round(s / 86400), 'day')
}

export function fmtTime(iso, lang) {
  if (!iso) return '–'
  const d = new Date(iso)
  return isNaN(d) ? iso : d.toLocaleString(lang)
}

// A peer counts as connected when its last handshake is younger than 3 minutes
// (WireGuard re-keys every 2 minutes while traffic flows).
export function isConnected(st) {
  if (!st || !st.LastHandshake) return false
  return clock.value - Date.parse(st.LastHandshake) < 180000
}

// ExpiresAt is a day; the peer expires at 00:00 UTC of it (spec 3.7, as the server's sweep).
export function isExpired(peer) {
  return !!peer?.ExpiresAt && Date.parse(peer.ExpiresAt + 'T00:00:00Z') <= clock.value
}

// Loading indicator that only appears when a call takes longer than `delay` ms, so fast calls
// never flash a spinner.
export function useDelayedLoading(delay = 300) {
  const show = ref(false)
  let pending = 0
  let timer = null
  async function run(fn) {
    pending++
    if (!timer) timer = setTimeout(() => { if (pending > 0) show.value = true }, delay)
    try { return await fn() } finally {
      if (--pending === 0) { clearTimeout(timer); timer = null; show.value = false }
    }
  }
  onScopeDispose(() => clearTimeout(timer))
  return { show, run }
}

// Debounce with a leading edge: the first change after a quiet period runs at once (a pasted or
// autofilled search answers instantly), changes while typing are coalesced.
export function debounceLeading(fn, wait = 200) {
  let timer = null
  let last = 0
  return (...args) => {
    const now = Date.now()
    clearTimeout(timer)
    if (now - last > wait) { last = now; fn(...args); return }
    last = now
    timer = setTimeout(() => { last = Date.now(); fn(...args) }, wait)
  }
}

// Run `fn` over items with limited parallelism; progress(done, total) after each item.
export async function runPool(items, limit, fn, progress) {
  let i = 0
  let done = 0
  const errors = []
  async function worker() {
    while (i < items.length) {
      const item = items[i++]
      try { await fn(item) } catch (e) { errors.push({ item, error: e }) }
      progress?.(++done, items.length)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return errors
}

export const toasts = reactive([])
let toastId = 0
export function toast(text, kind = 'info', ms = 4000) {
  const id = ++toastId
  toasts.push({ id, text, kind })
  setTimeout(() => {
    const i = toasts.findIndex((t) => t.id === id)
    if (i >= 0) toasts.splice(i, 1)
  }, ms)
}

export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

export const splitList = (s) => String(s || '').split(/[\s,]+/).map((x) => x.trim()).filter(Boolean)
export const joinList = (a) => (Array.isArray(a) ? a.join(', ') : '')

export async function copyText(text) {
  try { await navigator.clipboard.writeText(text); return true } catch { return false }
}

// Thin fetch wrapper for REST API v1 with session cookie + CSRF (the UI <-> server contract).
import { reactive } from 'vue'

// {base}/api/v1/ relative to the bundle's own URL ({base}/assets/x.js), so web.base_path works
// without the server rewriting anything.
export const API = new URL(/* @vite-ignore */ '../api/v1/', import.meta.url).pathname

export const session = reactive({
  user: null, // v1 User JSON
  csrf: '',
  ui: { SiteTitle: 'WireGuard Portal', SiteCompanyName: '', Version: '', LoginForm: true },
  settings: { SelfProvisioning: false, ApiAdminOnly: true, EditableKeys: true, DefaultBackend: 'local', Backends: [] },
})

export class ApiError extends Error {
  constructor(status, message, field, retryAfter) {
    super(message || `HTTP ${status}`)
    this.status = status
    this.field = field || ''
    this.retryAfter = retryAfter
  }
}

let onUnauthorized = () => {}
export function setUnauthorizedHandler(fn) { onUnauthorized = fn }

export const enc = encodeURIComponent

// request(method, path, { query, body, as: 'json'|'blob'|'text', signal })
// -> { data, total (X-Total-Count as number or null), status }
export async function request(method, path, opts = {}) {
  let url = API + path
  if (opts.query) {
    const q = new URLSearchParams()
    for (const [k, v] of Object.entries(opts.query)) if (v !== undefined && v !== null && v !== '') q.set(k, v)
    const s = q.toString()
    if (s) url += (url.includes('?') ? '&' : '?') + s
  }
  const headers = { Accept: opts.as === 'blob' ? '*/*' : 'application/json' }
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json'
  if (!['GET', 'HEAD', 'OPTIONS'].includes(method) && session.csrf) headers['X-CSRF-Token'] = session.csrf
  const r = await fetch(url, {
    method, headers, credentials: 'same-origin', signal: opts.signal, cache: 'no-store',
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  })
  if (!r.ok) {
    let j = null
    try { j = await r.json() } catch { /* not JSON */ }
    const err = new ApiError(r.status, j?.Message || (r.status + ' ' + r.statusText), j?.Field, r.headers.get('Retry-After'))
    if (r.status === 401 && !path.startsWith('auth/')) onUnauthorized(err)
    throw err
  }
  const tc = r.headers.get('X-Total-Count')
  const total = tc === null ? null : Number(tc)
  if (r.status === 204) return { data: null, total, status: 204 }
  let data
  if (opts.as === 'blob') data = await r.blob()
  else if (opts.as === 'text') data = await r.text()
  else { const t = await r.text(); data = t ? JSON.parse(t) : null }
  return { data, total, status: r.status }
}

export const get = (path, query, opts = {}) => request('GET', path, { ...opts, query }).then((r) => r.data)
export const post = (path, body) => request('POST', path, { body }).then((r) => r.data)
export const put = (path, body) => request('PUT', path, { body }).then((r) => r.data)
export const del = (path) => request('DELETE', path).then((r) => r.data)

export const isAdmin = () => !!session.user?.IsAdmin

export async function loadSessionSettings() {
  try {
    Object.assign(session.settings, await get('ui/settings/session'))
  } catch { /* keep defaults */ }
}

export async function restoreSession() {
  // both at once (one round trip less at start); without a session the settings answer 401,
  // which loadSessionSettings ignores
  const settings = loadSessionSettings()
  try {
    const s = await get('auth/session')
    session.user = s.User
    session.csrf = s.CsrfToken || ''
    await settings
    return true
  } catch {
    return false
  }
}

export async function login(username, password) {
  const s = await post('auth/login', { Username: username, Password: password })
  session.user = s.User
  session.csrf = s.CsrfToken || ''
  await loadSessionSettings()
}

export async function logout() {
  try { await post('auth/logout') } catch { /* session may be gone already */ }
  session.user = null
  session.csrf = ''
}

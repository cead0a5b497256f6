// Thin fetch wrapper for REST API v1 with session cookie + CSRF (the UI <-> server contract).
import { reactive } from 'vue'

// {base}/api/v1/ relative to the bundle's own URL ({base}/assets/x.js), so web.base_path works
// without the server rewriting anything.
export const API = new URL(/* @vite-ignore */ '../api/v1/', import.meta.url).pathname
// wg-portal's OAuth login URLs (registered at identity providers): {base}/api/v0/auth/login/...
export const API_V0 = new URL(/* @vite-ignore */ '../api/v0/', import.meta.url).pathname
// The UI's own URL (origin + base path + "/"), for return URLs of sign-in round trips
export const UI_ROOT = new URL(/* @vite-ignore */ '../', import.meta.url).href

export const session = reactive({
  user: null, // v1 User JSON
  csrf: '',
  ui: { SiteTitle: 'WireGuard Portal', SiteCompanyName: '', Version: '', LoginForm: true, WebAuthn: false, Providers: [] },
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

// Completes a login answer: a session ({User, CsrfToken}) or a second-factor step
// ({SecondFactor: 'totp'|'totp-enrol', Ticket}), which is returned for the login page.
async function loginAnswer(s) {
  if (s && s.SecondFactor) return { secondFactor: s.SecondFactor, ticket: s.Ticket }
  session.user = s.User
  session.csrf = s.CsrfToken || ''
  await loadSessionSettings()
  return { recoveryCodes: s.RecoveryCodes || null }
}

export async function login(username, password) {
  return loginAnswer(await post('auth/login', { Username: username, Password: password }))
}

// Second step of a password login: a TOTP code or a recovery code.
export async function totpLogin(ticket, code) {
  return loginAnswer(await post('auth/login/totp', { Ticket: ticket, Code: code }))
}

// Sends the browser to the identity provider; it comes back to the login page with
// wgLoginState=success|err (and wgLoginError) in the hash route's query.
export function providerLogin(id, next) {
  const ret = UI_ROOT + '#/login' + (next && next !== '/' ? '?next=' + encodeURIComponent(next) : '')
  window.location.assign(`${API_V0}auth/login/${encodeURIComponent(id)}/init?redirect=true&return=${encodeURIComponent(ret)}`)
}

// base64url <-> bytes for the WebAuthn JSON forms
export const b64u = {
  enc: (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''),
  dec: (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)), (c) => c.charCodeAt(0)),
}

// Sign-in with a passkey (discoverable credential, user verification required).
export async function passkeyLogin() {
  const { publicKey: o } = await post('auth/webauthn/login/start')
  const cred = await navigator.credentials.get({
    publicKey: { ...o, challenge: b64u.dec(o.challenge), allowCredentials: [] },
  })
  const r = cred.response
  return loginAnswer(await post('auth/webauthn/login/finish', {
    id: cred.id, rawId: b64u.enc(cred.rawId), type: cred.type,
    response: {
      clientDataJSON: b64u.enc(r.clientDataJSON), authenticatorData: b64u.enc(r.authenticatorData),
      signature: b64u.enc(r.signature), userHandle: r.userHandle ? b64u.enc(r.userHandle) : '',
    },
  }))
}

// Registers a passkey for the signed-in user; returns the new list of passkeys.
export async function passkeyRegister(name) {
  const { publicKey: o } = await post('auth/webauthn/register/start')
  const cred = await navigator.credentials.create({
    publicKey: {
      ...o, challenge: b64u.dec(o.challenge), user: { ...o.user, id: b64u.dec(o.user.id) },
      excludeCredentials: (o.excludeCredentials || []).map((c) => ({ ...c, id: b64u.dec(c.id) })),
    },
  })
  const r = cred.response
  return request('POST', 'auth/webauthn/register/finish', {
    query: { credential_name: name || '' },
    body: {
      id: cred.id, rawId: b64u.enc(cred.rawId), type: cred.type,
      response: { clientDataJSON: b64u.enc(r.clientDataJSON), attestationObject: b64u.enc(r.attestationObject) },
    },
  }).then((x) => x.data)
}

export async function logout() {
  let out = null
  try { out = await post('auth/logout') } catch { /* session may be gone already */ }
  session.user = null
  session.csrf = ''
  // a session from an OpenID provider may end there too (logout_idp_session)
  if (out && out.RedirectUrl) window.location.assign(out.RedirectUrl)
}

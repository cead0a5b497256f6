// Development only (vite serve with WGP_DEV_SHIM=1): emulates the session endpoints of the
// UI contract on top of a daemon that only speaks HTTP Basic (password = API token), so the UI
// can be developed before the server side lands. Not imported by the production build.
import { randomBytes } from 'node:crypto'

export function devShim(target) {
  const sessions = new Map() // sid -> { user, auth, csrf }
  const readBody = (req) => new Promise((res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => res(Buffer.concat(chunks)))
  })
  const send = (res, status, obj, headers = {}) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers })
    res.end(obj === undefined ? '' : JSON.stringify(obj) + '\n')
  }
  const sid = (req) => /(?:^|;\s*)wgPortalSession=([^;]+)/.exec(req.headers.cookie || '')?.[1]
  return {
    name: 'wgportal-dev-shim',
    configureServer(server) {
      server.middlewares.use(async (req, res, next) => {
        if (!req.url.startsWith('/api/')) return next()
        const body = await readBody(req)
        const path = req.url.replace(/\?.*$/, '')
        const s = sessions.get(sid(req))
        if (path === '/api/v1/ui/settings')
          return send(res, 200, { SiteTitle: 'WireGuard Portal', SiteCompanyName: 'dev shim', Version: 'dev', BasePath: '', LoginForm: true })
        if (path === '/api/v1/auth/login' && req.method === 'POST') {
          const { Username = '', Password = '' } = JSON.parse(body.toString() || '{}')
          const auth = 'Basic ' + Buffer.from(`${Username}:${Password}`).toString('base64')
          const r = await fetch(target + '/api/v1/user/by-id/' + encodeURIComponent(Username), { headers: { Authorization: auth } })
          if (r.status !== 200) return send(res, 401, { Code: 401, Message: 'invalid credentials' })
          const id = randomBytes(16).toString('hex')
          const sess = { user: await r.json(), auth, csrf: randomBytes(16).toString('hex') }
          sessions.set(id, sess)
          return send(res, 200, { User: sess.user, CsrfToken: sess.csrf },
            { 'Set-Cookie': `wgPortalSession=${id}; HttpOnly; SameSite=Strict; Path=/` })
        }
        if (path === '/api/v1/auth/logout') { sessions.delete(sid(req)); res.writeHead(204); return res.end() }
        if (!s) return send(res, 401, { Code: 401, Message: 'missing credentials' })
        if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method) && req.headers['x-csrf-token'] !== s.csrf)
          return send(res, 403, { Code: 403, Message: 'CSRF token missing or invalid' })
        if (path === '/api/v1/auth/session') return send(res, 200, { User: s.user, CsrfToken: s.csrf })
        if (path === '/api/v1/ui/settings/session') {
          const r = await fetch(target + '/api/v1/backend/all', { headers: { Authorization: s.auth } })
          const all = r.ok ? await r.json() : []
          return send(res, 200, { SelfProvisioning: false, ApiAdminOnly: true, EditableKeys: true,
            DefaultBackend: all.find((b) => b.Default)?.Identifier || 'local',
            Backends: all.map(({ Identifier, DisplayName, Type, Capabilities, Reachable }) => ({ Identifier, DisplayName, Type, Capabilities, Reachable })) })
        }
        const r = await fetch(target + req.url, { method: req.method, headers: { Authorization: s.auth, 'Content-Type': 'application/json' },
          body: ['GET', 'HEAD'].includes(req.method) ? undefined : body })
        const h = {}
        for (const k of ['content-type', 'x-total-count', 'retry-after']) if (r.headers.get(k)) h[k] = r.headers.get(k)
        res.writeHead(r.status, h)
        res.end(Buffer.from(await r.arrayBuffer()))
      })
    },
  }
}

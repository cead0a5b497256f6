// SPDX-License-Identifier: MIT
// A real OpenID provider for wgportal's sign-in tests: npm oidc-provider (OpenID Certified),
// with its own login and consent pages (devInteractions: any password; the accounts below
// decide the claims). Run: node tests/idp/idp.mjs --host 127.0.0.2 --port N --wgportal URL
//   --ready-file F
// where URL is "<web.external_url><web.base_path>" of the daemon under test.
//
// Clients (redirect URIs are wg-portal's callback URLs of that daemon):
//   wgportal        OpenID Connect, client_secret_basic, a secret with + : / and a space (the
//                   client must form-encode it into Basic auth, RFC 6749 2.3.1), provider
//                   "keycloak" in wgportal's config
//   wgportal-oauth  plain OAuth2 use: client_secret_post (Basic is refused here, as providers
//                   that only take the body do), provider "plain"; its token answers carry no
//                   id_token (stripped here), wgportal reads the userinfo endpoint
// Test control (same origin, for the suites only):
//   POST /__ctl/fault?mode=sig|aud|exp|nonce|none   the next ID token is tampered that way
//   GET  /__ctl/log                                  client authentication seen per token call
// Prints one JSON line {"issuer": ...} once it listens (and writes it to --ready-file).
import { generateKeyPairSync, createSign } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import Provider from 'oidc-provider'

const arg = (name, def) => {
  const i = process.argv.indexOf('--' + name)
  return i > 0 ? process.argv[i + 1] : def
}
const host = arg('host', '127.0.0.2')
const port = Number(arg('port', '0'))
const wgportal = arg('wgportal', 'http://127.0.0.1:8888')
const issuer = `http://${host}:${port}`

export const OIDC_SECRET = 'S3cret+with:colon/slash and space'
export const OAUTH_SECRET = 'oauth-post-secret-0123456789'

// accounts: login name -> claims
const accounts = {
  alice: { email: 'alice@example.org', given_name: 'Alice', family_name: 'Anders', phone: '+49 30 1', department: 'Networks', admin_flag: 'true', groups: ['vpn-users', 'staff'] },
  dora: { email: 'dora@example.org', given_name: 'Dora', family_name: 'D', groups: ['vpn-users'] },
  bob: { email: 'bob@example.org', given_name: 'Bob', family_name: 'Berg', admin_flag: false, groups: ['vpn-users'] },
  carol: { email: 'carol@elsewhere.net', given_name: 'Carol', family_name: 'Cole', groups: ['vpn-users'] },
  mallory: { email: 'mallory@example.org', given_name: 'Mallory', family_name: 'M', groups: ['guests'] },
  admins: { email: 'grace@example.org', given_name: 'Grace', family_name: 'G', admin_flag: 'no', groups: ['vpn-users', 'wg-admins'] },
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key-1', alg: 'RS256', use: 'sig' }

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'wgportal',
      client_secret: OIDC_SECRET,
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: [`${wgportal}/api/v0/auth/login/keycloak/callback`],
      post_logout_redirect_uris: [`${wgportal}/`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
    {
      client_id: 'wgportal-oauth',
      client_secret: OAUTH_SECRET,
      token_endpoint_auth_method: 'client_secret_post',
      redirect_uris: [`${wgportal}/api/v0/auth/login/plain/callback`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  jwks: { keys: [jwk] },
  cookies: { keys: ['test-cookie-key-not-secret'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['given_name', 'family_name', 'name'],
    phone: ['phone'],
    groups: ['groups'],
    wgportal: ['admin_flag', 'department'],
  },
  scopes: ['openid', 'offline_access', 'email', 'profile', 'phone', 'groups', 'wgportal'],
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  pkce: { required: () => true },
  async findAccount(ctx, id) {
    const a = accounts[id]
    if (!a) return undefined
    return { accountId: id, async claims() { return { sub: id, email_verified: true, ...a } } }
  },
})
provider.proxy = false

// --- test control: tampering of the next ID token, and which client authentication was used
let fault = 'none'
const seen = []
const b64u = (b) => Buffer.from(b).toString('base64url')
function resign(token, change) {
  const [h, p] = token.split('.')
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString())
  change(claims)
  const si = `${h}.${b64u(JSON.stringify(claims))}`
  return `${si}.${b64u(createSign('SHA256').update(si).sign(privateKey))}`
}
provider.use(async (ctx, next) => {
  if (ctx.path === '/__ctl/fault' && ctx.method === 'POST') {
    fault = ctx.query.mode || 'none'
    ctx.body = { fault }
    return
  }
  if (ctx.path === '/__ctl/log') {
    ctx.body = seen
    return
  }
  if (ctx.path === '/token' && ctx.method === 'POST') {
    const auth = ctx.get('authorization') || ''
    const basic = auth.startsWith('Basic ')
    seen.push({ basic, at: Date.now() })
    // wgportal-oauth stands for providers that take the secret only in the body: refuse
    // Basic, as such a provider would (the client must then retry with the body)
    if (basic && Buffer.from(auth.slice(6), 'base64').toString().startsWith('wgportal-oauth:')) {
      ctx.status = 401
      ctx.body = { error: 'invalid_client', error_description: 'client_secret_post only' }
      return
    }
  }
  await next()
  if (ctx.path !== '/token' || !ctx.body || typeof ctx.body !== 'object') return
  const client = ctx.oidc?.client?.clientId
  if (client === 'wgportal-oauth') delete ctx.body.id_token
  if (client === 'wgportal' && ctx.body.id_token && fault !== 'none') {
    const t = ctx.body.id_token
    if (fault === 'sig') ctx.body.id_token = t.slice(0, -4) + (t.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA')
    if (fault === 'aud') ctx.body.id_token = resign(t, (c) => { c.aud = 'another-client' })
    if (fault === 'exp') ctx.body.id_token = resign(t, (c) => { c.iat -= 7200; c.exp = c.iat + 600 })
    if (fault === 'nonce') ctx.body.id_token = resign(t, (c) => { c.nonce = 'not-the-nonce' })
    fault = 'none'
  }
})

const server = provider.listen(port, host, () => {
  const info = { issuer, host, port: server.address().port }
  console.log(JSON.stringify(info))
  const ready = arg('ready-file')
  if (ready) writeFileSync(ready, JSON.stringify(info))
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))

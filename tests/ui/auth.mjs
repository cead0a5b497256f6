// SPDX-License-Identifier: MIT
// Browser tests of the sign-in methods (headless Chromium through playwright-core), against
// real servers started here: OpenLDAP slapd (tests/lib/ldap_fixture.py), npm oidc-provider on
// 127.0.0.2 (tests/idp/idp.mjs; another site than the UI on localhost, so the return from the
// provider is a cross-site navigation) and wgportal with external_url http://localhost:PORT
// (a passkey's RP id must be a host name, not an IP address).
//
// Covers: hide_login_form (form hidden, #/login?all shows it), one button per provider, an
// OpenID provider that is down (message on the login page, local login still works), LDAP
// login, OpenID Connect through the provider's real login and consent pages, plain OAuth2,
// logout from the provider, passkeys with Chromium's virtual authenticator (register, rename,
// sign out, sign in with it, delete), TOTP enrolment with the QR code's secret, sign-in with a
// code and with a recovery code. Prints the sign-in time of each method (# lines).
// Runs inside the network namespace that suite-auth.sh made.
import { execFileSync, spawn } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import { ROOT, TMP, Tap, start, stop, stopAll, waitFor, sleep, readLog, launchBrowser } from './lib.mjs'

const T = new Tap()
const W = 15000
const ADMIN = 'admin@wgportal.local'
const ADMIN_PW = 'Adm1n-Auth-UI-Passw0rd-26'
const ADMIN_TOKEN = 'auth-ui-admin-token-0123456789abc'
const CAROL = 'carol.local'
const CAROL_PW = 'Car0l-local-Passw0rd-long'
const times = {}

const freePort = () => new Promise((res) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)) })
})

function call(port, method, p, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null : Buffer.from(JSON.stringify(body))
    const h = { Authorization: 'Basic ' + Buffer.from(`${ADMIN}:${ADMIN_TOKEN}`).toString('base64') }
    if (data) { h['Content-Type'] = 'application/json'; h['Content-Length'] = data.length }
    const req = http.request({ host: '127.0.0.1', port, path: '/api/v1/' + p, method, headers: h, timeout: 30000 }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => { let j = null; try { j = JSON.parse(Buffer.concat(chunks).toString()) } catch { /* */ } resolve({ status: res.statusCode, json: j }) })
    })
    req.on('error', reject)
    if (data) req.write(data)
    req.end()
  })
}

// RFC 6238 with the defaults of enrolment (SHA-1, 6 digits, 30 s)
function totp(secretB32, t = Date.now() / 1000) {
  const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const ch of secretB32) bits += alpha.indexOf(ch).toString(2).padStart(5, '0')
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)))
  const msg = Buffer.alloc(8)
  msg.writeBigUInt64BE(BigInt(Math.floor(t / 30)))
  const mac = createHmac('sha1', key).update(msg).digest()
  const off = mac[19] & 15
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0')
}

async function startSlapd() {
  const dir = path.join(TMP, 'ldap')
  mkdirSync(dir, { recursive: true })
  const p = spawn('python3', [path.join(ROOT, 'tests/lib/ldap_fixture.py'), dir], { stdio: ['pipe', 'pipe', 'inherit'] })
  const line = await new Promise((res, rej) => {
    let buf = ''
    p.stdout.on('data', (c) => { buf += c; if (buf.includes('\n')) res(buf.split('\n')[0]) })
    p.on('exit', () => rej(new Error('slapd fixture exited')))
    setTimeout(() => rej(new Error('slapd did not start in 60 s')), 60000)
  })
  p.info = JSON.parse(line)
  return p
}

function startIdp(port, ui) {
  return start('auth-idp', 'node', ['tests/idp/idp.mjs', '--host', '127.0.0.2', '--port', String(port), '--wgportal', ui])
}

function writeConfig(port, idpPort, ldap) {
  const cfg = `core:
  admin_user: ${ADMIN}
  admin_password: "${ADMIN_PW}"
  admin_api_token: "${ADMIN_TOKEN}"
advanced:
  start_cidr_v4: 10.216.0.0/24
  use_ip_v6: false
database:
  dsn: ${TMP}/db/wgportal.sqlite
web:
  listening_address: 127.0.0.1:${port}
  external_url: http://localhost:${port}
  site_title: "Auth Test Portal"
auth:
  hide_login_form: true
  webauthn:
    enabled: true
  oidc:
    - provider_name: keycloak
      display_name: "Company SSO"
      base_url: http://127.0.0.2:${idpPort}
      client_id: wgportal
      client_secret: "S3cret+with:colon/slash and space"
      extra_scopes: [profile, email, groups, wgportal]
      registration_enabled: true
      field_map:
        user_identifier: email
        user_groups: groups
  oauth:
    - provider_name: plain
      display_name: "Plain OAuth2"
      client_id: wgportal-oauth
      client_secret: "oauth-post-secret-0123456789"
      auth_url: http://127.0.0.2:${idpPort}/auth
      token_url: http://127.0.0.2:${idpPort}/token
      user_info_url: http://127.0.0.2:${idpPort}/me
      scopes: [openid, email, profile]
      registration_enabled: true
      field_map:
        user_identifier: email
  ldap:
    - provider_name: corp
      url: ${ldap.url}
      base_dn: ${ldap.base_dn}
      bind_user: ${ldap.bind_user}
      bind_pass: ${ldap.bind_pass}
      login_filter: "${ldap.login_filter}"
      admin_group: ${ldap.admin_group}
      registration_enabled: true
`
  mkdirSync(path.join(TMP, 'db'), { recursive: true })
  const p = path.join(TMP, 'config.yaml')
  writeFileSync(p, cfg, { mode: 0o600 })
  return p
}

async function signedInAs(page, who) {
  await page.locator('.who', { hasText: who }).waitFor({ timeout: W })
  return true
}

async function logout(page) {
  await page.click('[data-test=logout]')
  await page.waitForURL(/#\/login/, { timeout: W })
}

async function main() {
  const port = await freePort()
  const idpPort = await freePort()
  const ui = `http://localhost:${port}`
  let slapd, idp, daemon, ctx
  try {
    slapd = await startSlapd()
    const cfg = writeConfig(port, idpPort, slapd.info)
    const bin = process.env.WGPORTAL_BIN || 'build/wgportal'
    daemon = start('auth-wgportal', path.isAbsolute(bin) ? bin : path.join(ROOT, bin), ['--config', cfg],
      { env: { LSAN_OPTIONS: process.env.LSAN_OPTIONS || 'suppressions=' + path.join(ROOT, 'tests/lsan.supp') } })
    const up = await waitFor(async () => (await call(port, 'GET', 'ui/settings')).status === 200, 60000, 200)
    if (!T.ok(up, 'wgportal starts (provider still down)', readLog(daemon).slice(-1500))) return
    await call(port, 'POST', 'user/new', { Identifier: CAROL, Email: 'carol@local.test', Password: CAROL_PW, Firstname: 'Carol' })

    ctx = await launchBrowser()
    const page = ctx.pages()[0] || await ctx.newPage()

    await T.step('hide_login_form: no password form, one button per provider and a passkey button', async () => {
      await page.goto(ui + '/#/login')
      await page.locator('[data-test=provider-keycloak]').waitFor({ timeout: W })
      const form = await page.locator('#login-user').count()
      const labels = await page.locator('[data-test=alt-logins] button').allInnerTexts()
      return { ok: form === 0 && labels.join('|') === 'Sign in with Company SSO|Sign in with Plain OAuth2|Sign in with a passkey', detail: { form, labels } }
    })

    await T.step('provider down: the login page says so', async () => {
      await page.click('[data-test=provider-keycloak]')
      const err = page.locator('[data-test=login-error]')
      await err.waitFor({ timeout: W })
      const text = await err.innerText()
      return { ok: /not available/.test(text) && /Company SSO/.test(text), detail: text }
    })

    await T.step('#/login?all shows the form; local login still works', async () => {
      await page.goto(ui + '/#/login?all')
      await page.fill('#login-user', ADMIN, { timeout: W })
      await page.fill('#login-pass', ADMIN_PW)
      await page.click('[data-test=login-submit]')
      return signedInAs(page, ADMIN)
    })
    await logout(page)

    idp = startIdp(idpPort, ui)
    await waitFor(() => existsSync(idp.logPath) && readLog(idp).includes('"issuer"'), 30000, 100)
    await sleep(5500) // the on-demand set-up retry of a provider runs at most every 5 s

    await T.step('LDAP: alice signs in with the directory password', async () => {
      await page.goto(ui + '/#/login?all')
      await page.fill('#login-user', 'alice@example.org', { timeout: W })
      await page.fill('#login-pass', slapd.info.users.alice.password)
      const t0 = Date.now()
      await page.click('[data-test=login-submit]')
      await signedInAs(page, 'alice@example.org')
      times.ldap = Date.now() - t0
      return true
    })
    await logout(page)

    await T.step('OpenID Connect: through the provider\'s own login and consent pages (127.0.0.2)', async () => {
      await page.goto(ui + '/#/login')
      const t0 = Date.now()
      await page.click('[data-test=provider-keycloak]')
      await page.waitForURL(/127\.0\.0\.2/, { timeout: W })
      await page.fill('input[name=login]', 'bob', { timeout: W })
      await page.fill('input[name=password]', 'any password')
      await page.click('button[type=submit]')
      await page.locator('button', { hasText: 'Continue' }).click({ timeout: W })
      await signedInAs(page, 'bob@example.org')
      times.oidc = Date.now() - t0
      return { ok: page.url().startsWith(ui), detail: page.url() }
    })
    await T.step('OpenID Connect: the session works for API calls (profile loads)', async () => {
      await page.goto(ui + '/#/profile')
      const ok = await page.locator('h2', { hasText: 'bob@example.org' }).waitFor({ timeout: W })
        .then(() => true, () => false)
      // on failure: where the browser is and what it shows (a flake under load once)
      return { ok, detail: ok ? '' : page.url() + '\n' + (await page.locator('body').innerText()).slice(0, 600) }
    })
    await T.step('logout ends the provider\'s session too (end_session_endpoint)', async () => {
      await page.click('[data-test=logout]')
      await page.waitForURL(/127\.0\.0\.2.*\/session\/end/, { timeout: W })
      return true
    })

    await T.step('plain OAuth2: signs in through the provider (userinfo, no ID token)', async () => {
      await page.goto(ui + '/#/login')
      const t0 = Date.now()
      await page.click('[data-test=provider-plain]')
      await page.waitForURL(/127\.0\.0\.2/, { timeout: W })
      if (await page.locator('input[name=login]').count()) {
        await page.fill('input[name=login]', 'bob')
        await page.fill('input[name=password]', 'any password')
        await page.click('button[type=submit]')
      }
      const cont = page.locator('button', { hasText: 'Continue' })
      if (await cont.waitFor({ timeout: 3000 }).then(() => true, () => false)) await cont.click()
      await signedInAs(page, 'bob@example.org')
      times.oauth2 = Date.now() - t0
      return true
    })
    await logout(page)

    // passkeys: Chromium's virtual authenticator (CTAP2, resident keys, user verification)
    const cdp = await ctx.newCDPSession(page)
    await cdp.send('WebAuthn.enable')
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    })
    await T.step('passkey: admin registers one in the profile', async () => {
      await page.goto(ui + '/#/login?all')
      await page.fill('#login-user', ADMIN, { timeout: W })
      await page.fill('#login-pass', ADMIN_PW)
      await page.click('[data-test=login-submit]')
      await signedInAs(page, ADMIN)
      await page.goto(ui + '/#/profile')
      await page.fill('[data-test=passkey-name-input]', 'Laptop', { timeout: W })
      await page.click('[data-test=passkey-add]')
      await page.locator('[data-test=passkey-name]', { hasText: 'Laptop' }).waitFor({ timeout: W })
      const creds = await cdp.send('WebAuthn.getCredentials', { authenticatorId })
      return { ok: creds.credentials.length === 1 && creds.credentials[0].isResidentCredential, detail: creds }
    })
    await T.step('passkey: rename', async () => {
      await page.click('[data-test=passkey-rename]')
      await page.fill('[data-test=passkey-rename-input]', 'Work laptop')
      await page.locator('[data-test=passkey-row] button[type=submit]').click()
      await page.locator('[data-test=passkey-name]', { hasText: 'Work laptop' }).waitFor({ timeout: W })
      return true
    })
    await logout(page)
    await T.step('passkey: sign in with it (no password, no code)', async () => {
      await page.goto(ui + '/#/login')
      const t0 = Date.now()
      await page.click('[data-test=passkey-login]')
      await signedInAs(page, ADMIN)
      times.passkey = Date.now() - t0
      const creds = await cdp.send('WebAuthn.getCredentials', { authenticatorId })
      return { ok: creds.credentials[0].signCount >= 1, detail: creds.credentials[0] }
    })
    await T.step('passkey: listed with its last use, then deleted', async () => {
      await page.goto(ui + '/#/profile')
      const row = page.locator('[data-test=passkey-row]').first()
      await row.waitFor({ timeout: W })
      const used = await row.locator('td').nth(2).innerText()
      page.once('dialog', (d) => d.accept())
      await page.click('[data-test=passkey-delete]')
      await page.locator('[data-test=passkey-none]').waitFor({ timeout: W })
      return { ok: used !== '–', detail: used }
    })
    await logout(page)

    let secret = ''
    let recovery = []
    await T.step('TOTP: carol enrols with the QR code in the profile', async () => {
      await page.goto(ui + '/#/login?all')
      await page.fill('#login-user', CAROL, { timeout: W })
      await page.fill('#login-pass', CAROL_PW)
      await page.click('[data-test=login-submit]')
      await signedInAs(page, CAROL)
      await page.goto(ui + '/#/profile')
      await page.click('[data-test=totp-enable]', { timeout: W })
      const qr = page.locator('[data-test=totp-qr]')
      await qr.waitFor({ timeout: W })
      const src = await qr.getAttribute('src')
      secret = await page.locator('[data-test=totp-secret]').innerText()
      await page.fill('[data-test=totp-code]', totp(secret))
      await page.click('[data-test=totp-confirm]')
      await page.locator('[data-test=recovery-codes] li').first().waitFor({ timeout: W })
      recovery = await page.locator('[data-test=recovery-codes] li').allInnerTexts()
      return { ok: src.startsWith('data:image/png;base64,') && recovery.length === 10, detail: { src: src.slice(0, 40), recovery } }
    })
    await logout(page)
    await T.step('TOTP: the password is followed by a code', async () => {
      await page.goto(ui + '/#/login?all')
      await page.fill('#login-user', CAROL, { timeout: W })
      await page.fill('#login-pass', CAROL_PW)
      let t0 = Date.now()
      await page.click('[data-test=login-submit]')
      await page.locator('[data-test=second-factor]').waitFor({ timeout: W })
      const pw = Date.now() - t0
      // the next time step: the enrolment used the current one, codes are single-use
      await page.fill('#login-code', totp(secret, Date.now() / 1000 + 30))
      t0 = Date.now()
      await page.click('[data-test=second-factor] button[type=submit]')
      await signedInAs(page, CAROL)
      times.password_totp = pw + Date.now() - t0
      return true
    })
    await logout(page)
    await T.step('TOTP: a recovery code works instead (once)', async () => {
      await page.goto(ui + '/#/login?all')
      await page.fill('#login-user', CAROL, { timeout: W })
      await page.fill('#login-pass', CAROL_PW)
      await page.click('[data-test=login-submit]')
      await page.locator('[data-test=second-factor]').waitFor({ timeout: W })
      await page.fill('#login-code', recovery[0].toLowerCase())
      await page.click('[data-test=second-factor] button[type=submit]')
      return signedInAs(page, CAROL)
    })
    await logout(page)
    await T.step('TOTP: a wrong code is refused with a message', async () => {
      await page.goto(ui + '/#/login?all')
      await page.fill('#login-user', CAROL, { timeout: W })
      await page.fill('#login-pass', CAROL_PW)
      await page.click('[data-test=login-submit]')
      await page.locator('[data-test=second-factor]').waitFor({ timeout: W })
      await page.fill('#login-code', recovery[0])   // used already
      await page.click('[data-test=second-factor] button[type=submit]')
      const err = page.locator('[data-test=login-error]')
      await err.waitFor({ timeout: W })
      return { ok: /code/i.test(await err.innerText()), detail: await err.innerText() }
    })

    await T.step('the password login of the same account for comparison', async () => {
      await page.goto(ui + '/#/login?all')
      await page.reload()   // leave the second-factor step of the last check
      await page.fill('#login-user', ADMIN, { timeout: W })
      await page.fill('#login-pass', ADMIN_PW)
      const t0 = Date.now()
      await page.click('[data-test=login-submit]')
      await signedInAs(page, ADMIN)
      times.password = Date.now() - t0
      return true
    })
    T.diag('sign-in time as the user sees it (click to signed-in page), ms: ' + JSON.stringify(times))
    writeFileSync(path.join(ROOT, 'build/test-logs/auth-signin-times.json'), JSON.stringify(times))
  } catch (e) {
    T.ok(false, 'browser run completed', e.stack || String(e))
  } finally {
    if (ctx) await ctx.close().catch(() => {})
    if (daemon) {
      const r = await stop(daemon, 20000)
      T.ok(r && r.code === 0, 'wgportal exits 0 on SIGTERM', r)
      const log = readLog(daemon)
      T.ok(!/AddressSanitizer|runtime error:/.test(log), 'no sanitizer report in the daemon log')
      T.ok(![ADMIN_PW, ADMIN_TOKEN, CAROL_PW, 'S3cret+with:colon/slash and space'].some((s) => log.includes(s)), 'no secret in the daemon log')
    }
    if (slapd) slapd.kill('SIGTERM')
    await stopAll()
  }
}

await main()
process.exit(T.done())

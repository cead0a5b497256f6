// SPDX-License-Identifier: MIT
// Browser steps of issue 13 ("everything an admin touches works as in wg-portal"), called from
// main.mjs in its running session: 3 own keys with a pasted public key, 4 the "no endpoint"
// warning, 5 token confirmation and the own password, 7 self-service, 8 UI details (landing
// page, 1920 px without scrolling, ticking "… ago", search by user, SVG icons, the backend
// banner), 1 expiry in the table, and the wg-portal actions (interface config, apply defaults,
// default peers, peer details, add multiple peers, bulk user actions).
import { readFileSync } from 'node:fs'
import { BASE, ADMIN, ADMIN_PW, api, enc, simCall, PF_PORT, sleep, wgKeyPair } from './lib.mjs'
import { LOCAL_IF, PF_NAME } from './env.mjs'
import { T, BOB, BOB_PW, W, W_DEVICE, row, login, logout, dialogs, newPeerApi, showIface } from './steps.mjs'

const BOB_PW2 = 'B0b-UI-Passw0rd-2027'

async function download(page, click) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: W }), click()])
  return readFileSync(await dl.path(), 'utf8')
}

// item 8: the admin opens the portal's root, logs in and lands on Interfaces (not "My peers")
export async function testLanding(page) {
  await T.step('item 8: the admin lands on Interfaces after logging in at the root URL', async () => {
    await page.goto(BASE + '/')
    await page.fill('#login-user', ADMIN, { timeout: W })
    await page.fill('#login-pass', ADMIN_PW)
    await page.click('[data-test=login-submit]')
    await page.waitForSelector('header.top', { timeout: W })
    await page.waitForURL(/#\/interfaces/, { timeout: W })
    return { ok: /#\/interfaces/.test(page.url()), detail: page.url() }
  })
}

// item 3: "use my own keys", then a public key pasted from elsewhere: no private key is shown,
// the config comes with a marked placeholder
export async function testOwnKeysPasted(page) {
  await showIface(page, LOCAL_IF)
  await page.click('[data-test=new-peer]')
  await page.waitForSelector('#peer-form', { timeout: W })
  await page.fill('#pf-name', 'ui-peer-pasted')
  await page.check('[data-test=own-keys]')
  const foreign = wgKeyPair()
  await page.fill('[data-test=public-key]', foreign.pub)
  await T.step('item 3: a pasted public key: no private key shown, config with a marked placeholder', async () => {
    await page.click('[data-test=save-peer]')
    await page.waitForSelector('[data-test=own-key-pasted]', { timeout: W_DEVICE })
    const shown = await page.locator('#pf-own-priv').count()
    const modal = await page.locator('.modal').textContent()
    const conf = await download(page, () => page.click('[data-test=download-placeholder]'))
    await page.click('.modal-foot button.primary')
    const stored = (await api('GET', 'peer/by-id/' + enc(foreign.pub))).json || {}
    return { ok: shown === 0 && !/[A-Za-z0-9+/]{43}=/.test(modal.replace(foreign.pub, '')) && /^# PrivateKey = </m.test(conf) &&
      !/^PrivateKey/m.test(conf) && stored.PrivateKey === '' && stored.PublicKey === foreign.pub, detail: { shown, conf: conf.slice(0, 900) } }
  })
}

// item 4: saving a server interface without "Endpoint for peers" warns first
export async function testEndpointWarning(page) {
  await showIface(page, LOCAL_IF)
  await page.click('[data-test=edit-iface]')
  await page.waitForSelector('#iface-form #if-pd-ep', { timeout: W })
  await page.fill('#if-pd-ep', '')
  await T.step('item 4: saving a server interface without endpoint warns, the first click saves nothing', async () => {
    await page.click('[data-test=save-iface]')
    const warn = page.locator('[data-test=endpoint-warning]')
    await warn.waitFor({ timeout: W })
    const text = (await warn.textContent()).trim()
    const stored = (await api('GET', 'interface/by-id/' + LOCAL_IF)).json || {}
    const label = (await page.locator('[data-test=save-iface]').textContent()).trim()
    return { ok: /Endpoint/.test(text) && stored.PeerDefEndpoint !== '' && label === 'Save anyway', detail: { text, ep: stored.PeerDefEndpoint, label } }
  })
  await T.step('item 4: saved on confirmation; the peers\' files then carry no "Endpoint = " line', async () => {
    await page.click('[data-test=save-iface]')
    await page.locator('#iface-form').waitFor({ state: 'detached', timeout: W_DEVICE })
    const stored = (await api('GET', 'interface/by-id/' + LOCAL_IF)).json || {}
    const card = (await page.locator('[data-test=iface-card]').textContent()).replace(/\s+/g, ' ')
    const p = await newPeerApi(LOCAL_IF, 'ui-peer-noep')
    const conf = (await api('GET', 'provisioning/data/peer-config?PeerId=' + enc(p.Identifier), undefined, { raw: true })).body.toString()
    return { ok: stored.PeerDefEndpoint === '' && /peers cannot connect/.test(card) && !/Endpoint/.test(conf) && /^PrivateKey = \S{44}$/m.test(conf),
      detail: { ep: stored.PeerDefEndpoint, conf } }
  })
  // back to an endpoint for the rest of the run
  const ifc = (await api('GET', 'interface/by-id/' + LOCAL_IF)).json
  await api('PUT', 'interface/by-id/' + LOCAL_IF, { ...ifc, PeerDefEndpoint: 'vpn.local.example:51653' })
}

// item 8: a relative handshake time keeps counting between statistics updates
export async function testTicking(page) {
  await showIface(page, 'wgpwmt1')
  await row(page, 'mt-peer').locator('[data-test=handshake]', { hasText: /sec|now/ }).waitFor({ timeout: 40000 })
  await T.step('item 8: "… sec ago" keeps counting between statistics updates', async () => {
    const cell = row(page, 'mt-peer').locator('[data-test=handshake]')
    const seen = new Set()
    for (let i = 0; i < 8; i++) {
      seen.add((await cell.textContent()).trim())
      await sleep(400)
    }
    return { ok: seen.size >= 2 && [...seen].every((x) => /sec|now/.test(x)), detail: [...seen] }
  })
}

// item 8: the peer table fits a 1920 px screen; no icon depends on an emoji font
export async function testWideAndIcons(page) {
  await page.setViewportSize({ width: 1920, height: 1080 })
  await showIface(page, LOCAL_IF)
  await row(page, 'ui-peer-first').waitFor({ timeout: W })
  await T.step('item 8: at 1920 px the peer table has no horizontal scrollbar, every action is visible', async () => {
    const m = await page.evaluate(() => {
      const w = document.querySelector('[data-test=peer-table]').closest('.table-wrap')
      const btns = [...document.querySelectorAll('[data-test=peer-table] tbody tr:first-child .c-act button')]
      return { sw: w.scrollWidth, cw: w.clientWidth, right: Math.max(...btns.map((b) => b.getBoundingClientRect().right)), vw: window.innerWidth, n: btns.length }
    })
    return { ok: m.sw <= m.cw + 1 && m.right <= m.vw && m.n >= 5, detail: m }
  })
  await page.setViewportSize({ width: 1280, height: 900 })
  await T.step('item 8: icon buttons are inline SVG; no button text needs an emoji or symbol font', async () => {
    const bad = []
    for (const hash of ['#/interfaces/' + enc(LOCAL_IF), '#/users', '#/profile']) {
      await page.goto(BASE + '/' + hash)
      await page.waitForSelector('main .page', { timeout: W })
      await page.waitForTimeout(400)
      bad.push(...await page.evaluate(() => [...document.querySelectorAll('button')].filter((b) => {
        const txt = b.textContent
        // arrows, dingbats, geometric shapes, misc. symbols, emoji
        if (/[\u2190-\u2bff\u{1f000}-\u{1faff}]/u.test(txt)) return true
        return b.classList.contains('icon') && !b.querySelector('svg')
      }).map((b) => b.outerHTML.slice(0, 120))))
    }
    return { ok: bad.length === 0, detail: bad }
  })
}

// item 8: the search matches the user column
export async function testSearchUser(page) {
  await page.goto(BASE + '/#/interfaces/' + enc(LOCAL_IF))
  await row(page, 'bobs-phone').waitFor({ timeout: W })
  await T.step('item 8: searching the peer table for a user id finds that user\'s peers', async () => {
    await page.fill('[data-test=peer-search]', BOB)
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-test=peer-table] tbody tr[data-peer]')]
      return rows.length > 0 && rows.every((r) => r.textContent.includes('bob'))
    }, null, { timeout: W })
    const names = await page.locator('[data-test=peer-table] tr[data-peer] td.c-name strong').allTextContents()
    await page.fill('[data-test=peer-search]', '')
    return { ok: names.includes('bobs-phone'), detail: names }
  })
}

// wg-portal's bulk actions on users
export async function testUserBulk(page) {
  for (const id of ['bulk-u1', 'bulk-u2']) await api('POST', 'user/new', { Identifier: id, Password: 'Bulk-user-passw0rd-1' })
  await page.goto(BASE + '/#/users')
  const sel = (id) => page.locator(`tr[data-user="${id}"] td.c-sel input`)
  await sel('bulk-u2').waitFor({ timeout: W })
  await T.step('bulk user actions: disable, then delete two selected users', async () => {
    await sel('bulk-u1').check()
    await sel('bulk-u2').check()
    await page.click('[data-test=user-bulk-disable]')
    await page.locator('[data-test=user-bulkbar]').waitFor({ state: 'detached', timeout: W })
    const d = await Promise.all(['bulk-u1', 'bulk-u2'].map(async (id) => (await api('GET', 'user/by-id/' + id)).json?.Disabled))
    await sel('bulk-u1').check()
    await sel('bulk-u2').check()
    const own = await page.locator(`tr[data-user="${ADMIN}"] td.c-sel input`).isDisabled()
    await page.click('[data-test=user-bulk-delete]')
    await page.locator('tr[data-user="bulk-u2"]').waitFor({ state: 'detached', timeout: W })
    const gone = await Promise.all(['bulk-u1', 'bulk-u2'].map(async (id) => (await api('GET', 'user/by-id/' + id)).status))
    return { ok: d.every((x) => x === true) && gone.every((s) => s === 404) && own, detail: { d, gone, own } }
  })
}

// item 6 in the UI: the audit page names who did it
export async function testAuditUser(page) {
  await page.goto(BASE + '/#/audit')
  await T.step('item 6: audit rows of peer changes show the acting user and the display name', async () => {
    const r = page.locator('[data-test=audit-table] tbody tr', { hasText: "'ui-peer-first'" })
    await r.first().waitFor({ timeout: W })
    const cells = await r.first().locator('td').allTextContents()
    return { ok: cells[2].trim() === ADMIN, detail: cells }
  })
}

// item 7: a user provisions on an interface picked from a list, edits and deletes own peers
export async function testSelfService(page) {
  await login(page, BOB, BOB_PW)
  await page.goto(BASE + '/#/peers')
  const sel = page.locator('[data-test=sp-iface]')
  await T.step('item 7: the interfaces a user may use are offered in a list', async () => {
    await sel.waitFor({ timeout: W })
    await page.waitForFunction(() => document.querySelectorAll('[data-test=sp-iface] option').length > 1, null, { timeout: W })
    const opts = await sel.locator('option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean))
    return { ok: (await sel.evaluate((e) => e.tagName)) === 'SELECT' && opts.includes(LOCAL_IF), detail: opts }
  })
  await sel.selectOption(LOCAL_IF)
  await page.fill('#sp-name', 'bob-self')
  await page.click('[data-test=sp-create]')
  await row(page, 'bob-self').waitFor({ timeout: W_DEVICE })
  await T.step('item 7: the user edits the name of an own peer (user fields only)', async () => {
    await row(page, 'bob-self').locator('[data-test=edit]').click()
    await page.waitForSelector('#peer-form #pf-name', { timeout: W })
    const hidden = await page.locator('#pf-addr, #pf-user, #pf-allowed').count()
    await page.fill('#pf-name', 'bob-self-renamed')
    await page.click('[data-test=save-peer]')
    await row(page, 'bob-self-renamed').waitFor({ timeout: W_DEVICE })
    return { ok: hidden === 0, detail: { hidden } }
  })
  await T.step('item 7: the user deletes an own peer', async () => {
    const id = await row(page, 'bob-self-renamed').getAttribute('data-peer')
    await row(page, 'bob-self-renamed').locator('[data-test=delete]').click()
    await row(page, 'bob-self-renamed').waitFor({ state: 'detached', timeout: W_DEVICE })
    return { ok: (await api('GET', 'peer/by-id/' + enc(id))).status === 404 }
  })
}

// item 5: the own password, with the current one; other sessions end
export async function testPassword(page) {
  const other = await api('POST', 'auth/login', { Username: BOB, Password: BOB_PW }, { user: '', headers: { Origin: BASE } })
  const cookie = String(other.headers['set-cookie'] || '').split(';')[0]
  await page.goto(BASE + '/#/profile')
  await page.waitForSelector('[data-test=password-form]', { timeout: W })
  await T.step('item 5: a wrong current password is refused next to its field', async () => {
    await page.fill('#pw-old', 'not-my-password-at-all')
    await page.fill('#pw-new', BOB_PW2)
    await page.fill('#pw-repeat', BOB_PW2)
    await page.click('[data-test=change-password]')
    const err = page.locator('[data-field-error="pw-old"]')
    await err.waitFor({ timeout: W })
    return { ok: /current password/.test(await err.textContent()) }
  })
  await T.step('item 5: the own password changes; the other session ends, this one stays', async () => {
    await page.fill('#pw-old', BOB_PW)
    await page.click('[data-test=change-password]')
    await page.locator('.toast', { hasText: 'Password changed' }).waitFor({ timeout: W })
    const o = await api('GET', 'auth/session', undefined, { user: '', headers: { Cookie: cookie } })
    const me = await page.evaluate(async () => (await fetch('api/v1/auth/session')).status)
    return { ok: o.status === 401 && me === 200, detail: { other: o.status, me } }
  })
  await logout(page)
  await T.step('item 5: login with the new password', async () => {
    await login(page, BOB, BOB_PW2)
    return true
  })
  // back to the old one for the later steps
  await page.goto(BASE + '/#/profile')
  await page.fill('#pw-old', BOB_PW2)
  await page.fill('#pw-new', BOB_PW)
  await page.fill('#pw-repeat', BOB_PW)
  await page.click('[data-test=change-password]')
  await page.locator('.toast', { hasText: 'Password changed' }).first().waitFor({ timeout: W })
  await logout(page)
}

// wg-portal's interface and peer actions: the interface's config, apply peer defaults,
// default peers, a peer's detail view and "add multiple peers"
export async function testIfaceActions(page) {
  await login(page, ADMIN, ADMIN_PW)
  await page.goto(BASE + '/#/interfaces/' + enc(LOCAL_IF))
  await page.locator('[data-test=iface-card] h2', { hasText: LOCAL_IF }).waitFor({ timeout: W })
  await T.step('interface: show and download its own wg-quick config', async () => {
    await page.click('[data-test=show-iface-config]')
    const text = (await page.locator('[data-test=text-modal]').textContent())
    const file = await download(page, () => page.click('[data-test=text-download]'))
    await page.click('.modal-foot button.primary')
    return { ok: /^\[Interface\]$/m.test(text) && /^PrivateKey = \S{44}$/m.test(text) && /^\[Peer\]$/m.test(text) && file === text,
      detail: text.slice(0, 400) }
  })
  await T.step('interface: apply peer defaults (confirmed, count shown)', async () => {
    dialogs.last = ''
    await page.click('[data-test=apply-defaults]')
    await page.locator('.toast', { hasText: /Defaults applied to \d+ peers/ }).waitFor({ timeout: W_DEVICE })
    return { ok: /peer defaults/.test(dialogs.last), detail: dialogs.last }
  })
  await T.step('interface: "create default peers" after ticking the flag gives users without one a peer', async () => {
    await api('POST', 'user/new', { Identifier: 'dora', Password: 'Dora-UI-Passw0rd-2026' })
    await page.click('[data-test=edit-iface]')
    await page.check('#if-defpeer')
    await page.click('[data-test=save-iface]')
    await page.locator('#iface-form').waitFor({ state: 'detached', timeout: W_DEVICE })
    await page.click('[data-test=default-peers]', { timeout: W })
    await page.locator('.toast', { hasText: /default peers created/ }).waitFor({ timeout: W_DEVICE })
    const peers = (await api('GET', 'peer/by-interface/' + LOCAL_IF)).json || []
    const def = peers.filter((p) => p.DisplayName.startsWith('Default Peer '))
    return { ok: def.length === 1 && def[0].UserIdentifier === 'dora', detail: def.map((p) => [p.DisplayName, p.UserIdentifier]) }
  })
  await T.step('peer detail view: facts, config preview with the key hidden, QR code, raw download', async () => {
    await page.reload()
    await row(page, 'ui-peer-first').locator('[data-test=view]').click()
    const pre = page.locator('[data-test=config-text]')
    await pre.waitFor({ timeout: W })
    const masked = await pre.textContent()
    await page.check('[data-test=show-key]')
    const open = await pre.textContent()
    const qr = await page.locator('.peer-view img').count()
    // the raw style (wg setconf's subset): no wg-quick-only line, the key in place
    const raw = await download(page, () => page.click('[data-test=view-download-raw]'))
    await page.click('.modal-foot button.primary')
    const rawOk = /^# This file uses raw format\.$/m.test(raw) && /^PrivateKey = \S{44}$/m.test(raw) &&
      !/^(Address|DNS|MTU|Table|PreUp|PostUp|PreDown|PostDown)\b/m.test(raw)
    return { ok: /PrivateKey = \(hidden\)/.test(masked) && /^PrivateKey = \S{44}$/m.test(open) && qr === 1 && rawOk, detail: masked.slice(0, 300) + '\n--- raw:\n' + raw.slice(0, 300) }
  })
  await T.step('add multiple peers: one per chosen user, named with the prefix', async () => {
    await page.click('[data-test=multi-peer]')
    await page.locator(`[data-test=multi-users] input[data-user="${BOB}"]`).check({ timeout: W })
    await page.locator('[data-test=multi-users] input[data-user="dora"]').check({ timeout: W })
    await page.fill('#mp-prefix', 'Team')
    await page.click('[data-test=save-multi]')
    await page.locator('.toast', { hasText: '2 peers created' }).waitFor({ timeout: W_DEVICE })
    const peers = ((await api('GET', 'peer/by-interface/' + LOCAL_IF)).json || []).filter((p) => p.DisplayName.startsWith('Team Peer '))
    return { ok: peers.length === 2 && peers.map((p) => p.UserIdentifier).sort().join() === [BOB, 'dora'].sort().join(), detail: peers.map((p) => p.DisplayName) }
  })
}

// item 1: expiry date and the expired state in the table; the sweep (every 2 s here) disables
export async function testExpiry(page) {
  const day = (d) => new Date(Date.now() + d * 86400000).toISOString().slice(0, 10)
  const old = await newPeerApi(LOCAL_IF, 'exp-old', '', { ExpiresAt: day(-1) })
  await newPeerApi(LOCAL_IF, 'exp-later', '', { ExpiresAt: day(30) })
  await page.goto(BASE + '/#/interfaces/' + enc(LOCAL_IF))
  await T.step('item 1: the sweep disables an expired peer; the table shows "expired" and the date', async () => {
    let p = {}
    for (let i = 0; i < 60 && !p.Disabled; i++) { p = (await api('GET', 'peer/by-id/' + enc(old.Identifier))).json || {}; await sleep(250) }
    await page.reload()
    const r = row(page, 'exp-old')
    await r.waitFor({ timeout: W })
    const state = (await r.locator('[data-test=state]').textContent()).trim()
    const when = (await r.locator('[data-test=expires]').textContent()).trim()
    return { ok: p.Disabled && p.DisabledReason === 'expired' && state === 'expired' && when === 'expired ' + day(-1), detail: { p: p.DisabledReason, state, when } }
  })
  await T.step('item 1: a peer that expires later shows its date and stays enabled', async () => {
    const r = row(page, 'exp-later')
    const when = (await r.locator('[data-test=expires]').textContent()).trim()
    const state = (await r.locator('[data-test=state]').textContent()).trim()
    return { ok: when === 'expires ' + day(30) && state !== 'expired' && state !== 'disabled', detail: { when, state } }
  })
}

// item 8: a configured backend that does not answer is named as such (not "not configured")
export async function testBackendBanner(page) {
  await simCall(PF_PORT, 'POST', '/__sim/down', { down: true })
  try {
    await T.step('item 8: an unreachable configured backend: the banner names it and says it does not answer', async () => {
      for (let i = 0; i < 120; i++) {
        const all = (await api('GET', 'backend/all')).json || []
        if (all.some((b) => b.Type === 'pfsense' && b.Reachable === false)) break
        await sleep(250)
      }
      await page.goto(BASE + '/#/interfaces/tun_wg0')
      await page.reload()
      const b = page.locator('[data-test=backend-problem]')
      await b.waitFor({ timeout: W })
      const text = (await b.textContent()).trim()
      return { ok: text.includes(PF_NAME) && /does not answer/.test(text) && !/not configured/.test(text), detail: text }
    })
  } finally {
    await simCall(PF_PORT, 'POST', '/__sim/down', { down: false })
  }
}

// item 5: "create new token" asks first and says that the token in use stops working
export async function testTokenConfirm(page) {
  await page.locator('[data-test=api-state]', { hasText: 'active' }).waitFor({ timeout: W })
  await T.step('item 5: a new token is only made after a confirmation that names the 401', async () => {
    const before = await api('GET', 'user/all')
    dialogs.accept = false
    dialogs.last = ''
    await page.click('[data-test=create-token]')
    await sleep(300)
    dialogs.accept = true
    const asked = dialogs.last
    const still = await api('GET', 'user/all')
    const shown = await page.locator('[data-test=api-token]').count()
    return { ok: before.status === 200 && /401/.test(asked) && still.status === 200 && shown === 0, detail: { asked, still: still.status } }
  })
}

// SPDX-License-Identifier: MIT
// Web UI benchmark (issue 6), run by bench/bench_ui.sh inside its own network namespace, on the
// same system as the browser tests (tests/ui/env.mjs: a wireguard-go interface with BENCH_UI_PEERS
// peers imported at start, both simulators as backends). Figures, measured in headless chromium:
//   - time from navigation start to the first rendered row of the big interface (cold cache
//     once, then the median of warm loads), against the API call for the same page made from the
//     same page (reference);
//   - time from typing a search to the filtered rows, against the API call of the same search;
//   - bytes of the UI as transferred (gzip) after visiting every view, against the identity size;
//   - daemon RSS while 20 browser sessions (one context each) show the big interface and poll its
//     statistics, against the RSS before they opened.
// Prints "name: value" lines (also to $BENCH_UI_SUMMARY). Never fails on speed; exit 1 only when
// it could not measure (setup failed, wrong page, no filtered result).
import { appendFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { BASE, PORT, ADMIN, ADMIN_PW, api, enc, stopAll, launchChromium, sleep } from '../tests/ui/lib.mjs'
import { setup, teardown, rssKiB, BIG_IF } from '../tests/ui/env.mjs'

const PEERS = Number(process.env.BENCH_UI_PEERS || 10000)
const SESSIONS = Number(process.env.BENCH_UI_SESSIONS || 20)
const POLL_S = Number(process.env.BENCH_UI_POLL_S || 30)
const REPS = 5
const SUMMARY = process.env.BENCH_UI_SUMMARY || ''
if (SUMMARY) writeFileSync(SUMMARY, '')

function fig(name, value, note = '') {
  const l = `${name}: ${value}${note ? ' (' + note + ')' : ''}`
  console.log(l)
  if (SUMMARY) appendFileSync(SUMMARY, l + '\n')
}
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)] }
const r0 = (x) => Math.round(x)
const r1 = (x) => Math.round(x * 10) / 10

function get(path, headers) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: PORT, path, headers, timeout: 10000 }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
  })
}

// host: the address this session talks to. The polling sessions use one address each
// (10.93.0.N on the namespace's lo, see bench_ui.sh), as users behind different addresses do;
// from one address, 20 browsers keep more keep-alive connections open than the daemon allows
// per client address (32).
async function newSession(browser, host = '127.0.0.1') {
  const base = `http://${host}:${PORT}`
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', baseURL: base })
  await ctx.addInitScript(() => {
    window.__wgpFirstRow = null
    new MutationObserver((_, mo) => {
      if (document.querySelector('[data-test=peer-table] tr[data-peer]')) { window.__wgpFirstRow = performance.now(); mo.disconnect() }
    }).observe(document, { subtree: true, childList: true })
  })
  // a browser's login carries its Origin (the server refuses a login without a same-origin one)
  const r = await ctx.request.post(base + '/api/v1/auth/login', { data: { Username: ADMIN, Password: ADMIN_PW }, headers: { Origin: base }, timeout: 30000 })
  if (r.status() !== 200) throw new Error('login: HTTP ' + r.status())
  const page = await ctx.newPage()
  page.setDefaultTimeout(30000)
  page.base = base
  return { ctx, page }
}

async function firstTable(page) {
  await page.goto('about:blank')
  await page.goto(page.base + '/#/interfaces/' + enc(BIG_IF))
  await page.waitForSelector('[data-test=peer-table] tr[data-peer]', { timeout: 30000 })
  const rows = await page.locator('[data-test=peer-table] tr[data-peer]').count()
  if (rows !== 50) throw new Error(`first page has ${rows} rows, not 50`)
  return page.evaluate(() => window.__wgpFirstRow)
}

// The same page as the table's first request, fetched from inside the page: the reference.
const apiPageMs = (page, query) => page.evaluate(async (q) => {
  const t0 = performance.now()
  const r = await fetch('api/v1/peer/by-interface/' + q, { cache: 'no-store' })
  await r.json()
  return performance.now() - t0
}, query)

async function search(page, term, target) {
  return page.evaluate(({ term, target }) => new Promise((resolve, reject) => {
    const inp = document.querySelector('[data-test=peer-search]')
    const done = () => {
      const rows = [...document.querySelectorAll('[data-test=peer-table] tr[data-peer]')].map((r) => r.dataset.peer)
      return rows.length > 0 && rows.length < 50 && rows.includes(target)
    }
    const t0 = performance.now()
    const mo = new MutationObserver(() => { if (done()) { mo.disconnect(); resolve(performance.now() - t0) } })
    mo.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true })
    setTimeout(() => { mo.disconnect(); reject(new Error('no filtered result within 10 s for ' + term)) }, 10000)
    inp.value = term
    inp.dispatchEvent(new Event('input'))
  }), { term, target })
}

async function clearSearch(page) {
  await page.fill('[data-test=peer-search]', '')
  await page.waitForFunction(() => document.querySelectorAll('[data-test=peer-table] tr[data-peer]').length === 50, null, { timeout: 10000 })
  await sleep(300) // past the search debounce, so the next term takes the leading edge
}

async function uiBytes(page) {
  // every view once, so every lazily loaded chunk is counted
  for (const v of ['interfaces/' + enc(BIG_IF), 'users', 'audit', 'profile', 'peers']) {
    await page.goto(BASE + '/#/' + v)
    await page.waitForSelector('main .page', { timeout: 30000 })
    await sleep(200)
  }
  const urls = await page.evaluate(() => [location.origin + '/', ...performance.getEntriesByType('resource')
    .map((e) => e.name).filter((u) => u.includes('/assets/'))])
  let gz = 0, plain = 0, allGzip = true
  for (const u of [...new Set(urls)]) {
    const p = new URL(u).pathname
    const a = await get(p, { 'Accept-Encoding': 'gzip' })
    const b = await get(p, {})
    if (a.status !== 200 || b.status !== 200) throw new Error(`${p}: HTTP ${a.status}/${b.status}`)
    gz += a.body.length
    plain += b.body.length
    if (a.body.length > 1024 && a.headers['content-encoding'] !== 'gzip') allGzip = false
  }
  return { files: new Set(urls).size, gz, plain, allGzip }
}

async function main() {
  let env, browser
  let rc = 0
  try {
    const t0 = Date.now()
    env = await setup({ bigPeers: PEERS })
    console.log(`bench_ui: ${PEERS}-peer interface ${BIG_IF} imported, daemon up in ${Date.now() - t0} ms`)
    const pid = env.daemon.pid
    const rssIdle = rssKiB(pid)
    browser = await launchChromium()
    const { page } = await newSession(browser)

    const cold = await firstTable(page)
    const warm = []
    for (let i = 0; i < REPS; i++) warm.push(await firstTable(page))
    const apiFirst = []
    for (let i = 0; i < REPS; i++) apiFirst.push(await apiPageMs(page, enc(BIG_IF) + '?page=1&per_page=50&sort=DisplayName&order=asc'))
    fig('ui_first_table_cold_ms', r0(cold), 'navigation start to first rendered row, empty cache')
    fig('ui_first_table_ms', r0(median(warm)), `median of ${REPS}, target < 1000`)
    fig('ui_first_table_api_ms', r1(median(apiFirst)), 'reference: the same page over the API from the browser')
    fig('ui_first_table_ratio', r1(median(warm) / Math.max(0.1, median(apiFirst))))

    const pages = []
    for (let i = 0; i < REPS; i++) {
      const l = (await api('GET', `peer/by-interface/${BIG_IF}?per_page=50&page=${1 + ((6 + i * 31) % Math.max(1, Math.floor(PEERS / 50)))}`)).json || []
      if (l.length < 10) throw new Error('cannot pick search targets')
      pages.push(l[3 + i].Identifier)
    }
    const times = [], apiTimes = []
    for (const target of pages) {
      const term = target.slice(0, 12)
      await clearSearch(page)
      times.push(await search(page, term, target))
      apiTimes.push(await apiPageMs(page, enc(BIG_IF) + '?page=1&per_page=50&sort=DisplayName&order=asc&filter=' + enc(term)))
    }
    fig('ui_filter_ms', r0(median(times)), `median of ${REPS} searches, typing to filtered rows, target < 100`)
    fig('ui_filter_api_ms', r1(median(apiTimes)), 'reference: the same search over the API from the browser')
    fig('ui_filter_ratio', r1(median(times) / Math.max(0.1, median(apiTimes))))

    const b = await uiBytes(page)
    fig('ui_transfer_bytes_gzip', b.gz, `${b.files} files as served with Accept-Encoding: gzip`)
    fig('ui_transfer_bytes_identity', b.plain)
    fig('ui_gzip_ratio', r1(b.plain / Math.max(1, b.gz)))
    fig('ui_gzip_served', b.allGzip ? 'yes' : 'NO')
    if (!b.allGzip) rc = 1

    // 20 sessions, each its own context (cookie), on the big interface: they poll the
    // interface and peer statistics every 5 s as the UI does
    const sessions = []
    for (let i = 0; i < SESSIONS; i++) {
      const s = await newSession(browser, process.env.BENCH_UI_HOSTS ? `10.93.0.${i + 1}` : '127.0.0.1')
      await firstTable(s.page)
      sessions.push(s)
    }
    const samples = []
    const end = Date.now() + POLL_S * 1000
    while (Date.now() < end) { samples.push(rssKiB(pid)); await sleep(1000) }
    const alive = env.daemon.exitCode === null
    fig('daemon_rss_idle_kib', rssIdle, `${PEERS} peers in the store, no browser`)
    fig('daemon_rss_sessions_kib', Math.max(...samples), `max over ${POLL_S} s with ${SESSIONS} sessions polling statistics`)
    fig('daemon_rss_sessions_mean_kib', r0(samples.reduce((a, x) => a + x, 0) / samples.length))
    fig('daemon_rss_sessions_ratio', r1(Math.max(...samples) / Math.max(1, rssIdle)))
    if (!alive) { console.log('bench_ui: PROBLEM: the daemon died during the session run'); rc = 1 }
    for (const s of sessions) await s.ctx.close()
  } catch (e) {
    console.log('bench_ui: FAILED: ' + ((e && e.stack) || e))
    rc = 1
  }
  try { await browser?.close() } catch { /* gone */ }
  const end = await teardown(env)
  if (env) console.log(`bench_ui: wgportal stopped: ${JSON.stringify(end)}`)
  await stopAll()
  return rc
}

process.exitCode = await main()

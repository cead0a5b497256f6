// SPDX-License-Identifier: MIT
// Shared helpers of the browser tests: TAP, processes, REST calls with Basic auth, chromium.
import { spawn } from 'node:child_process'
import { createWriteStream, existsSync, readFileSync, mkdirSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import path from 'node:path'
import { generateKeyPairSync } from 'node:crypto'

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..')
export const TAG = process.env.UI_TAG || String(process.pid)
export const TMP = process.env.UI_TMP || '/tmp'
// Ports 19600-19649 (this suite's range); everything listens on the loopback of the test's own
// network namespace. The benchmark (bench/bench_ui.mjs) sets UI_PORT_BASE to 19620.
const PORT_BASE = Number(process.env.UI_PORT_BASE || 19600)
export const PORT = PORT_BASE
export const MT_PORT = PORT_BASE + 1
export const PF_PORT = PORT_BASE + 2
export const METRICS_PORT = PORT_BASE + 3
export const SMTP_PORT = PORT_BASE + 4
export const ADMIN = 'admin@wgportal.local'
export const ADMIN_PW = 'Adm1n-UI-Passw0rd-2026'
export const ADMIN_TOKEN = 'ui-admin-token-0123456789abcdefgh'
export const BASE = `http://127.0.0.1:${PORT}`
export const LOGDIR = path.join(ROOT, 'build/test-logs')
// log files build/test-logs/<prefix>-<name>.log; the benchmark uses its own prefix, so a test
// and a benchmark running at the same time do not write into one file
const LOG_PREFIX = process.env.UI_LOG_PREFIX || 'ui'

// ------------------------------------------------------------------ TAP
export class Tap {
  constructor() { this.n = 0; this.failed = 0 }
  ok(cond, name, detail) {
    this.n++
    if (cond) console.log(`ok ${this.n} - ${name}`)
    else {
      this.failed++
      console.log(`not ok ${this.n} - ${name}`)
      if (detail !== undefined) for (const l of String(typeof detail === 'string' ? detail : JSON.stringify(detail)).replace(/\x1b\[[0-9;]*m/g, '').split('\n').slice(0, 12)) console.log(`#   ${l}`)
    }
    return !!cond
  }
  eq(got, want, name) { return this.ok(JSON.stringify(got) === JSON.stringify(want), name, `got:  ${JSON.stringify(got)}\nwant: ${JSON.stringify(want)}`) }
  diag(s) { for (const l of String(s).split('\n')) console.log(`# ${l}`) }
  // Runs a check function; an exception is a failure of that check, not of the run.
  async step(name, fn) {
    try {
      const r = await fn()
      if (r === undefined || r === true) return this.ok(true, name)
      if (r === false) return this.ok(false, name)
      return this.ok(r.ok, name, r.detail)
    } catch (e) {
      return this.ok(false, name, (e && e.stack) || String(e))
    }
  }
  done() { console.log(`1..${this.n}`); return this.failed ? 1 : 0 }
}

// ------------------------------------------------------------------ processes
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

export async function waitFor(fn, timeoutMs, intervalMs = 100) {
  const end = Date.now() + timeoutMs
  let last
  while (Date.now() < end) {
    try { last = await fn(); if (last) return last } catch { /* retry */ }
    await sleep(intervalMs)
  }
  return fn()
}

export function portOpen(port) {
  return new Promise((res) => {
    const s = net.connect(port, '127.0.0.1')
    s.on('connect', () => { s.destroy(); res(true) })
    s.on('error', () => res(false))
    s.setTimeout(500, () => { s.destroy(); res(false) })
  })
}

const children = []
export function start(name, cmd, args, opts = {}) {
  mkdirSync(LOGDIR, { recursive: true })
  const log = createWriteStream(path.join(LOGDIR, `${LOG_PREFIX}-${name}.log`))
  const p = spawn(cmd, args, { cwd: opts.cwd || ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...(opts.env || {}) } })
  p.stdout.pipe(log)
  p.stderr.pipe(log)
  p.exited = new Promise((res) => p.on('exit', (code, sig) => res({ code, sig })))
  p.logPath = path.join(LOGDIR, `${LOG_PREFIX}-${name}.log`)
  children.push(p)
  return p
}

export async function stop(p, ms = 10000) {
  if (!p || p.exitCode !== null || p.signalCode) return p?.exited
  p.kill('SIGTERM')
  const r = await Promise.race([p.exited, sleep(ms).then(() => null)])
  if (r) return r
  p.kill('SIGKILL')
  return p.exited
}

export async function stopAll() {
  for (const p of children.reverse()) await stop(p, 5000)
}

export const readLog = (p) => { try { return readFileSync(p.logPath, 'utf8') } catch { return '' } }
export const exists = (p) => existsSync(path.isAbsolute(p) ? p : path.join(ROOT, p))

// ------------------------------------------------------------------ REST (Basic auth, keep-alive)
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 })
export function api(method, p, body, { user = ADMIN, token = ADMIN_TOKEN, headers = {}, raw = false } = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null : Buffer.from(JSON.stringify(body))
    const h = { ...headers }
    if (user) h.Authorization = 'Basic ' + Buffer.from(`${user}:${token}`).toString('base64')
    if (data) { h['Content-Type'] = 'application/json'; h['Content-Length'] = data.length }
    const req = http.request({ host: '127.0.0.1', port: PORT, path: p.startsWith('/') ? p : '/api/v1/' + p, method, headers: h, agent, timeout: 30000 }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => {
        const buf = Buffer.concat(chunks)
        let json = null
        if (!raw) try { json = JSON.parse(buf.toString()) } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, body: buf, json })
      })
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    if (data) req.write(data)
    req.end()
  })
}
export const enc = encodeURIComponent

export function simCall(port, method, p, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null : Buffer.from(JSON.stringify(body))
    // the simulators run with --https and a self-signed certificate
    const req = https.request({ host: '127.0.0.1', port, path: p, method, timeout: 10000, rejectUnauthorized: false,
      headers: data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {} }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => { let j = null; try { j = JSON.parse(Buffer.concat(chunks).toString()) } catch { /* */ } resolve({ status: res.statusCode, json: j }) })
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    if (data) req.write(data)
    req.end()
  })
}

export function wgKeyPair() {
  const { publicKey, privateKey } = generateKeyPairSync('x25519')
  const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64')
  const priv = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32).toString('base64')
  return { pub, priv }
}

// ------------------------------------------------------------------ chromium
export async function launchBrowser() {
  const { chromium } = await import('playwright-core')
  const userDir = path.join(TMP, 'chromium-profile-' + Date.now())
  mkdirSync(userDir, { recursive: true })
  // A fresh profile directory per run (playwright passes it as --user-data-dir).
  return chromium.launchPersistentContext(userDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    timeout: 30000,
    acceptDownloads: true,
    locale: 'en-US',
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

// A non-persistent browser, for many independent contexts (one session each): the benchmark.
export async function launchChromium() {
  const { chromium } = await import('playwright-core')
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    timeout: 30000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding'],
  })
}

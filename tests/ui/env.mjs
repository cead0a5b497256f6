// SPDX-License-Identifier: MIT
// The system under test of the browser tests and of bench/bench_ui.mjs: the RouterOS and pfSense
// simulators (HTTPS), a wireguard-go interface with many peers made with `wg setconf` before the
// daemon starts (imported through core.import_existing, so 10,000 peers cost seconds instead of
// 10,000 POSTs), and wgportal with both simulators configured as backends.
// Runs inside the network namespace that run.sh / bench_ui.sh created (node itself is in it).
import { execFileSync } from 'node:child_process'
import { writeFileSync, readFileSync, existsSync, mkdirSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { ROOT, TAG, TMP, PORT, MT_PORT, PF_PORT, METRICS_PORT, SMTP_PORT, ADMIN, ADMIN_PW, ADMIN_TOKEN,
  start, stop, waitFor, api, sleep, readLog, wgKeyPair } from './lib.mjs'

export const MT_ID = 'mt-lab'
export const MT_NAME = 'RouterOS Lab'
export const PF_ID = 'pf-lab'
export const PF_NAME = 'pfSense Lab'
// Interface names: at most 15 characters, unique per run (the wireguard-go sockets live in the
// shared /var/run/wireguard); run.sh removes "wgpw<tag>*" sockets at exit.
export const BIG_IF = `wgpw${TAG}b`.slice(0, 15)
export const LOCAL_IF = `wgpw${TAG}l`.slice(0, 15)
// The real SMTP server (Debian's python3-aiosmtpd) that receives the "send config by mail"
// mails: one .eml (+ .json with the envelope) per mail in MAILDIR.
export const MAILDIR = path.join(TMP, 'mail')

async function startSmtp() {
  const ready = path.join(TMP, 'smtp.ready')
  const p = start('smtp', '/usr/bin/python3', [path.join(ROOT, 'tests/lib/smtp_server.py'), '--port', String(SMTP_PORT),
    '--ready-file', ready, '--maildir', MAILDIR])
  const ok = await waitFor(() => existsSync(ready), 30000, 100)
  if (!ok) throw new Error(`smtp server did not start: ${readLog(p).slice(-800)}`)
  return p
}

const sh = (cmd, args, input) => execFileSync(cmd, args, { input, timeout: 60000, stdio: ['pipe', 'pipe', 'pipe'] })

async function startSim(name, script, port, extra) {
  const ready = path.join(TMP, `${name}.ready`)
  const p = start(name, 'python3', [script, '--port', String(port), '--bind', '127.0.0.1', '--https',
    '--ready-file', ready, ...extra])
  const ok = await waitFor(() => existsSync(ready), 30000, 100)
  if (!ok) throw new Error(`${name} did not start: ${readLog(p).slice(-800)}`)
  return p
}

// A wireguard-go device with `n` peers (random public keys, one /32 each). The peer keys are
// not needed by anyone: nobody connects, the table only has to show them.
async function makeBigIface(n) {
  const wg = start('wireguard-go', 'wireguard-go', ['-f', BIG_IF], { env: { WG_PROCESS_FOREGROUND: '1', LOG_LEVEL: 'error' } })
  const sock = `/var/run/wireguard/${BIG_IF}.sock`
  if (!(await waitFor(() => existsSync(sock), 15000, 100))) throw new Error('wireguard-go did not create ' + sock + ': ' + readLog(wg))
  const lines = ['[Interface]', `PrivateKey = ${wgKeyPair().priv}`, 'ListenPort = 51640', '']
  for (let i = 0; i < n; i++) {
    lines.push('[Peer]', `PublicKey = ${randomBytes(32).toString('base64')}`,
      `AllowedIPs = 10.${96 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`, '')
  }
  const conf = path.join(TMP, 'big.conf')
  writeFileSync(conf, lines.join('\n'), { mode: 0o600 })
  sh('wg', ['setconf', BIG_IF, conf])
  sh('ip', ['addr', 'add', '10.95.0.1/16', 'dev', BIG_IF])
  sh('ip', ['link', 'set', BIG_IF, 'up'])
  return wg
}

export function writeConfig(dir, { importExisting }) {
  mkdirSync(path.join(dir, 'db'), { recursive: true })
  const cfg = `core:
  admin_user: ${ADMIN}
  admin_password: "${ADMIN_PW}"
  admin_api_token: "${ADMIN_TOKEN}"
  import_existing: ${importExisting ? 'true' : 'false'}
  restore_state: true
  self_provisioning_allowed: true
advanced:
  expiry_check_interval: 2s
  start_cidr_v4: 10.94.0.0/24
  use_ip_v6: false
  start_listen_port: 51641
backend:
  default: ${MT_ID}
  mikrotik:
    - id: ${MT_ID}
      display_name: ${MT_NAME}
      api_url: https://127.0.0.1:${MT_PORT}/rest
      api_user: admin
      api_password: admin
      api_verify_tls: false
      api_timeout: 20s
  pfsense:
    - id: ${PF_ID}
      display_name: ${PF_NAME}
      api_url: https://127.0.0.1:${PF_PORT}
      api_key: sim-key-rw
      api_verify_tls: false
      api_timeout: 20s
database:
  dsn: ${dir}/db/wgportal.sqlite
statistics:
  data_collection_interval: 5s
  listening_address: 127.0.0.1:${METRICS_PORT}
web:
  listening_address: ${process.env.UI_LISTEN || '127.0.0.1'}:${PORT}
  external_url: http://127.0.0.1:${PORT}
  site_title: "UI Test Portal"
  request_logging: true
mail:
  host: 127.0.0.1
  port: ${SMTP_PORT}
  from: "UI Test Portal <portal@wgpw.test>"
`
  const p = path.join(dir, 'config.yaml')
  writeFileSync(p, cfg, { mode: 0o600 })
  return p
}

// Starts everything; returns { daemon, procs, bigPeers, log() }. Throws with the reason (and the
// log tail) when a part does not come up within its bound.
export async function setup({ bigPeers = 10000 } = {}) {
  const procs = []
  procs.push(await startSim('routeros-sim', 'tests/sim/routeros_sim.py', MT_PORT, []))
  procs.push(await startSim('pfsense-sim', 'tests/sim/pfsense_sim.py', PF_PORT, []))
  procs.push(await startSmtp())
  if (bigPeers > 0) procs.push(await makeBigIface(bigPeers))
  const cfg = writeConfig(TMP, { importExisting: bigPeers > 0 })
  const bin = process.env.WGPORTAL_BIN || 'build/wgportal'
  const args = ['--config', cfg]
  if (process.env.WGPORTAL_WEB_ROOT) args.push('--web-root', process.env.WGPORTAL_WEB_ROOT)
  const daemon = start('wgportal', path.isAbsolute(bin) ? bin : path.join(ROOT, bin), args)
  // generous bound: under ASan the start with a 10,000-peer import takes about a minute
  const up = await waitFor(async () => daemon.exitCode === null && (await api('GET', 'backend/all')).status === 200, 150000, 200)
    .catch(() => false)
  if (!up) throw new Error('wgportal did not answer /api/v1/backend/all: ' + readLog(daemon).slice(-1500))
  if (bigPeers > 0) {
    // the import runs at start; wait (bounded) until the store holds every peer
    const done = await waitFor(async () => {
      const r = await api('GET', `peer/by-interface/${BIG_IF}?per_page=1`)
      return r.status === 200 && Number(r.headers['x-total-count']) >= bigPeers
    }, 120000, 500).catch(() => false)
    if (!done) throw new Error(`the ${bigPeers}-peer interface was not imported: ` + readLog(daemon).slice(-1500))
  }
  return { daemon, procs, log: () => readLog(daemon) }
}

export async function teardown(env) {
  if (!env) return
  const r = await stop(env.daemon, 20000)
  for (const p of env.procs.reverse()) await stop(p, 5000)
  return r
}

export const rssKiB = (pid) => {
  try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) } catch { return 0 }
}
export { sleep }

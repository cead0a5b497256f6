// SPDX-License-Identifier: MIT
// Helpers shared by the browser test files (main.mjs, flows.mjs): the TAP object, bounds,
// login/logout, peer rows, interface forms, REST shortcuts and the dialog answers.
import { createPrivateKey, createPublicKey } from 'node:crypto'
import { Tap, BASE, api, enc } from './lib.mjs'

export const T = new Tap()
export const BOB = 'bob'
export const BOB_PW = 'B0b-UI-Passw0rd-2026'
export const W = 30000 // bound of every UI wait (ms)
export const W_DEVICE = 90000 // bound of a save that changes a device (a loaded machine, the ASan build)

export const row = (page, name) => page.locator('[data-test=peer-table] tr[data-peer]', { hasText: name })

export async function login(page, user, pw) {
  await page.goto(BASE + '/#/login')
  await page.fill('#login-user', user, { timeout: W })
  await page.fill('#login-pass', pw)
  await page.click('[data-test=login-submit]')
  await page.waitForSelector('header.top', { timeout: W })
}

export async function logout(page) {
  await page.click('[data-test=logout]', { timeout: W })
  await page.waitForSelector('#login-user', { timeout: W })
}

// Every confirm() of the UI is answered from here: accept unless a step says otherwise; the
// last question asked is kept so a step can check its wording.
export const dialogs = { accept: true, last: '' }
export function answerDialogs(page) {
  page.on('dialog', (d) => {
    dialogs.last = d.message()
    return dialogs.accept ? d.accept() : d.dismiss()
  })
}

// The public key X25519 derives from a raw base64 private key (node's own implementation, so the
// browser's WebCrypto result is checked against an independent one).
export function pubOf(privB64) {
  const der = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), Buffer.from(privB64, 'base64')])
  return createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }))
    .export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64')
}

export async function openNewIface(page) {
  await page.click('[data-test=new-iface]', { timeout: W })
  await page.waitForSelector('#iface-form [data-test=backend-picker]', { timeout: W })
}

export async function saveIface(page, id) {
  await page.click('[data-test=save-iface]')
  await page.waitForSelector(`.iface-item[data-iface="${id}"]`, { timeout: W_DEVICE })
}

export async function newPeerApi(iface, name, user = '', extra = {}) {
  const prep = (await api('GET', 'peer/prepare/' + enc(iface))).json || {}
  const r = await api('POST', 'peer/new', { ...prep, DisplayName: name, UserIdentifier: user, ...extra })
  if (r.status !== 200) throw new Error(`peer ${name} on ${iface}: HTTP ${r.status} ${r.body}`)
  return r.json
}

export async function showIface(page, id) {
  await page.click(`.iface-item[data-iface="${id}"]`)
  await page.locator('[data-test=iface-card] h2', { hasText: id }).waitFor({ timeout: W })
}

export { BASE }

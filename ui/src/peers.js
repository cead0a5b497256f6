// Peer helpers shared by the admin table and "my peers".
import { request, put, enc } from './api.js'
import { saveBlob } from './util.js'

export function peerFilename(p) {
  if (p.Filename) return p.Filename
  return (p.DisplayName || p.Identifier.slice(0, 8)).replace(/[^A-Za-z0-9_.-]+/g, '_') + '.conf'
}

// style: 'wgquick' (wg-quick's file) or 'raw' (only what `wg setconf` reads)
export async function fetchConfig(peer, style = 'wgquick') {
  const r = await request('GET', 'provisioning/data/peer-config', { query: { PeerId: peer.Identifier, style }, as: 'text' })
  return r.data
}

// The server writes a marked comment instead of "PrivateKey = " when it does not know the key
// (the owner made the key pair): "# PrivateKey = <...>".
const PRIVATE_KEY_LINE = /^#?\s*PrivateKey\s*=.*$/m

// privateKey: a key generated in this browser that the server never saw; it is written into the
// downloaded file only, in place of the server's placeholder line.
export async function downloadConfig(peer, privateKey, style = 'wgquick') {
  let text = await fetchConfig(peer, style)
  if (privateKey) {
    if (PRIVATE_KEY_LINE.test(text)) text = text.replace(PRIVATE_KEY_LINE, 'PrivateKey = ' + privateKey)
    else text = text.replace(/^\[Interface\]\s*$/m, '[Interface]\nPrivateKey = ' + privateKey)
  }
  saveBlob(new Blob([text], { type: 'text/plain' }), peerFilename(peer))
}

export async function fetchQr(peer) {
  const r = await request('GET', 'provisioning/data/peer-qr', { query: { PeerId: peer.Identifier }, as: 'blob' })
  return URL.createObjectURL(r.data)
}

export function setDisabled(peer, disabled, reason = '') {
  return put('peer/by-id/' + enc(peer.Identifier), { ...peer, Disabled: disabled, DisabledReason: disabled ? reason : '' })
}

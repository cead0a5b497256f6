// WireGuard keys in the browser (WebCrypto X25519). Only the public key leaves the browser.
const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))

// WebCrypto X25519 exists only in newer browsers (Chromium 133, Firefox 130, Safari 17) and only
// in secure contexts; probe once by generating a throwaway key.
let probe = null
export function x25519Supported() {
  probe ??= (async () => {
    try {
      await crypto.subtle.generateKey({ name: 'X25519' }, true, ['deriveBits'])
      return true
    } catch { return false }
  })()
  return probe
}

export async function generateKeyPair() {
  const kp = await crypto.subtle.generateKey({ name: 'X25519' }, true, ['deriveBits'])
  const pub = await crypto.subtle.exportKey('raw', kp.publicKey)
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', kp.privateKey))
  // PKCS#8 for X25519: a 16-byte header, then the 32-byte private key.
  return { publicKey: b64(pub), privateKey: b64(pkcs8.slice(pkcs8.length - 32)) }
}

export function generatePresharedKey() {
  return b64(crypto.getRandomValues(new Uint8Array(32)))
}

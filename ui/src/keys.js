// WireGuard keys in the browser (WebCrypto X25519). Only the public key leaves the browser.
const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))

export const x25519Supported = () => !!(globalThis.crypto && crypto.subtle)

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

// SPDX-License-Identifier: MIT
// Test vectors for bench/jose/run.sh (the JOSE library comparison of docs/auth.md): one key of
// each kind (RSA-2048, P-256, Ed25519) as a JWKS, and ID tokens that a relying party must accept
// or refuse. Node's own crypto signs, so no JOSE library under test made them.
// Usage: node gen.mjs OUTDIR
import { generateKeyPairSync, createSign, sign, createHmac, constants } from 'node:crypto'
import { writeFileSync } from 'node:fs'

const out = process.argv[2] || '.'
const b64u = (b) => Buffer.from(b).toString('base64url')
// argv[3]: a fixed "now" (unix seconds) for vectors checked in (tests/data/auth/jwt)
const now = process.argv[3] ? Number(process.argv[3]) : Math.floor(Date.now() / 1000)
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ed = generateKeyPairSync('ed25519')
const jwk = (k, kid, alg) => ({ ...k.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' })
const jwks = { keys: [jwk(rsa, 'r1', 'RS256'), jwk(ec, 'e1', 'ES256'), jwk(ed, 'o1', 'EdDSA'),
  { ...jwk(rsa, 'r2'), alg: undefined, use: 'sig' }] }
writeFileSync(`${out}/jwks.json`, JSON.stringify(jwks))

const ISS = 'https://idp.example', AUD = 'wgportal'
const base = { iss: ISS, sub: 'alice', aud: AUD, iat: now, exp: now + 600, nonce: 'n-0S6_WzA2Mj' }
function jws(header, claims, signer) {
  const si = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`
  return `${si}.${signer ? b64u(signer(Buffer.from(si))) : ''}`
}
const rs = (alg) => (d) => createSign('SHA' + alg.slice(2)).update(d).sign(rsa.privateKey)
const ps = (d) => sign('sha256', d, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
const es = (d) => sign('sha256', d, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' })
const eddsa = (d) => sign(null, d, ed.privateKey)
const pem = rsa.publicKey.export({ format: 'pem', type: 'spki' })
const hs = (d) => createHmac('sha256', pem).update(d).digest()

// [name, token, must_accept]
const cases = [
  ['RS256 valid', jws({ alg: 'RS256', kid: 'r1' }, base, rs('RS256')), true],
  ['ES256 valid', jws({ alg: 'ES256', kid: 'e1' }, base, es), true],
  ['EdDSA valid', jws({ alg: 'EdDSA', kid: 'o1' }, base, eddsa), true],
  ['PS256 valid (key r2 without alg)', jws({ alg: 'PS256', kid: 'r2' }, base, ps), true],
  ['RS256 aud array with azp', jws({ alg: 'RS256', kid: 'r1' }, { ...base, aud: [AUD, 'other'], azp: AUD }, rs('RS256')), true],
  ['alg none', jws({ alg: 'none' }, base, null), false],
  ['HS256 keyed with the RSA public key (alg confusion)', jws({ alg: 'HS256', kid: 'r1' }, base, hs), false],
  ['RS256 tampered payload', (() => { const t = jws({ alg: 'RS256', kid: 'r1' }, base, rs('RS256')).split('.'); t[1] = b64u(JSON.stringify({ ...base, sub: 'admin' })); return t.join('.') })(), false],
  ['RS256 expired', jws({ alg: 'RS256', kid: 'r1' }, { ...base, exp: now - 3600, iat: now - 7200 }, rs('RS256')), false],
  ['RS256 wrong audience', jws({ alg: 'RS256', kid: 'r1' }, { ...base, aud: 'someone-else' }, rs('RS256')), false],
  ['RS256 aud array without us', jws({ alg: 'RS256', kid: 'r1' }, { ...base, aud: ['a', 'b'] }, rs('RS256')), false],
  ['ES256 signed but header says RS256 with EC kid', jws({ alg: 'RS256', kid: 'e1' }, base, es), false],
]
writeFileSync(`${out}/cases.txt`, cases.map(([n, t, ok]) => `${ok ? 1 : 0}\t${t}\t${n}`).join('\n') + '\n')
writeFileSync(`${out}/meta.txt`, `${ISS}\n${AUD}\n${base.nonce}\n`)
// PEM copies for libraries without JWK support (libjwt)
writeFileSync(`${out}/r1.pem`, pem)
writeFileSync(`${out}/e1.pem`, ec.publicKey.export({ format: 'pem', type: 'spki' }))

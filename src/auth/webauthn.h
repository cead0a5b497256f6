/* SPDX-License-Identifier: MIT */
#ifndef AUTH_WEBAUTHN_H
#define AUTH_WEBAUTHN_H
/*
 * Relying-party checks of Web Authentication Level 2 (passkeys), without any storage:
 * registration (7.1) turns a browser's attestation response into a credential record, an
 * assertion (7.2) is verified against a stored record. RP id = host of web.external_url,
 * origin = web.external_url (wg-portal internal/app/auth/webauthn.go:49-58, docs/auth.md).
 *
 * Attestation is requested as "none" (we trust no authenticator vendor), so attStmt is not
 * evaluated; what binds the new key to this registration is the challenge and origin inside
 * clientDataJSON. Public keys are COSE keys (RFC 9053): EC2 P-256 (ES256), OKP Ed25519 (EdDSA)
 * and RSA (RS256) are accepted. Sign counters: a counter that does not grow although the
 * authenticator keeps one (either value non-zero) means a cloned authenticator: refused.
 * Every input here is untrusted (tests/fuzz/fuzz_webauthn.c).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;
struct sig_key;

#define WA_CHALLENGE_LEN 32
#define WA_CRED_ID_MAX 1023        /* WebAuthn L2 5.1: credential ids are at most 1023 bytes */
#define WA_COSE_KEY_MAX 2048
#define WA_CLIENT_DATA_MAX 4096
#define WA_AUTH_DATA_MAX 8192
#define WA_ATT_OBJ_MAX 16384

struct wa_rp {
	const char *rp_id;       /* "vpn.example.com" */
	const char *origin;      /* "https://vpn.example.com" */
	bool require_uv;         /* refuse without the user-verified flag */
};

/* A registered credential (the stored record). */
struct wa_credential {
	uint8_t id[WA_CRED_ID_MAX];
	size_t id_len;
	uint8_t cose_key[WA_COSE_KEY_MAX];
	size_t cose_key_len;
	long alg;                /* COSE alg of the key */
	uint32_t sign_count;
	uint8_t aaguid[16];
	bool backup_eligible, backed_up;
};

/* The RP id and origin of an external URL ("https://Host:8443/x" -> "host",
 * "https://host:8443"). Heap strings; -EINVAL when the URL has no http(s) host. */
int webauthn_rp_from_url(const char *external_url, char **ret_rp_id, char **ret_origin);

/* Registration ceremony 7.1 steps 5-24 (without attestation trust): checks clientDataJSON
 * (type webauthn.create, challenge, origin, crossOrigin), the rpIdHash, UP (and UV), and
 * extracts the credential. -EACCES with the reason when the response does not belong to this
 * ceremony, -EINVAL when it is malformed or uses an algorithm we refuse. */
int webauthn_register(const struct wa_rp *rp, const uint8_t challenge[WA_CHALLENGE_LEN],
		      const char *client_data_json, size_t cdj_len, const uint8_t *att_obj,
		      size_t att_len, struct wa_credential *ret, struct err *err);

/* Authentication ceremony 7.2 steps 11-22 against a stored credential: clientDataJSON (type
 * webauthn.get), rpIdHash, UP/UV, signature over authData || SHA-256(clientDataJSON), sign
 * counter. On success *ret_count is the authenticator's new counter (store it) and
 * *ret_backed_up the BS flag. -EACCES with the reason otherwise. */
int webauthn_assert(const struct wa_rp *rp, const uint8_t challenge[WA_CHALLENGE_LEN],
		    const struct wa_credential *cred, const char *client_data_json, size_t cdj_len,
		    const uint8_t *auth_data, size_t ad_len, const uint8_t *sig, size_t sig_len,
		    uint32_t *ret_count, bool *ret_backed_up, struct err *err);

/* A passkey wg-portal stored (its serialized go-webauthn Credential, webauthn_wgp.c) as a
 * credential record: id, COSE key (with its alg), counter, AAGUID, backup flags. -EINVAL with
 * the reason when it is malformed or its key is not one we verify. */
int webauthn_credential_from_wgportal(const char *serialized, struct wa_credential *ret,
				      struct err *err);

/* Parses a COSE_Key (the credential public key) into a verification key; *ret_alg is its COSE
 * alg. -EINVAL for anything but EC2/P-256/ES256, OKP/Ed25519/EdDSA, RSA/RS256. */
int cose_key_parse(const uint8_t *p, size_t len, struct sig_key **ret, long *ret_alg,
		   struct err *err);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * wg-portal's stored passkeys (webauthn.h): its user_webauthn_credentials.serialized_credential
 * is base64 (standard, padded) of go-webauthn's Credential as JSON (internal/domain/user.go
 * SetCredential; go-webauthn webauthn/credential.go, authenticator.go): "id" and "publicKey"
 * as standard base64 ([]byte), "flags" {"backupEligible", "backupState"}, "authenticator"
 * {"AAGUID", "SignCount"} (no JSON tags there: the Go field names). Go matches object keys
 * case-insensitively when it reads them back, and so do we. The input is whatever the taken
 * over database held: every length is bounded and the key must be one we can verify.
 */
#include "auth/webauthn.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/sig.h"
#include "util/err.h"

#define SERIALIZED_MAX (256u * 1024)   /* an attestation with a certificate chain fits */

/* The member named key, compared as Go's encoding/json does: exact first, else any case. */
static json_t *member(json_t *o, const char *key)
{
	const char *k;
	json_t *v, *exact = json_object_get(o, key);

	if (exact || !json_is_object(o))
		return exact;
	json_object_foreach(o, k, v)
		if (!strcasecmp(k, key))
			return v;
	return NULL;
}

/* A []byte member (standard base64) into out; -EINVAL when missing, invalid or too long. */
static int bytes(json_t *o, const char *key, uint8_t *out, size_t max, size_t *len)
{
	const char *s = json_string_value(member(o, key));

	*len = 0;
	if (!s || sodium_base642bin(out, max, s, strlen(s), NULL, len, NULL,
				    sodium_base64_VARIANT_ORIGINAL) != 0)
		return -EINVAL;
	return 0;
}

int webauthn_credential_from_wgportal(const char *serialized, struct wa_credential *ret,
				      struct err *err)
{
	size_t n = serialized ? strlen(serialized) : 0, len = 0, aag_len = 0;
	uint8_t *raw = n && n <= SERIALIZED_MAX ? malloc(n) : NULL;
	json_t *root = NULL, *auth, *flags, *count;
	struct sig_key *key = NULL;
	uint8_t aaguid[16];
	int r = -EINVAL;

	memset(ret, 0, sizeof(*ret));
	if (!raw || sodium_base642bin(raw, n, serialized, n, NULL, &len, NULL,
				      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    !(root = json_loadb((const char *)raw, len, 0, NULL)) || !json_is_object(root)) {
		err_set(err, r, "wg-portal's stored credential is not base64 of a JSON object");
		goto out;
	}
	auth = member(root, "authenticator");
	flags = member(root, "flags");
	count = member(auth, "SignCount");
	if (bytes(root, "id", ret->id, sizeof(ret->id), &ret->id_len) < 0 || !ret->id_len ||
	    bytes(root, "publicKey", ret->cose_key, sizeof(ret->cose_key), &ret->cose_key_len) < 0) {
		err_set(err, r, "wg-portal's stored credential lacks its id or public key");
		goto out;
	}
	if (count && (!json_is_integer(count) || json_integer_value(count) < 0 ||
		      json_integer_value(count) > UINT32_MAX)) {
		err_set(err, r, "wg-portal's stored credential has an invalid sign counter");
		goto out;
	}
	ret->sign_count = count ? (uint32_t)json_integer_value(count) : 0;
	if (member(auth, "AAGUID") && bytes(auth, "AAGUID", aaguid, sizeof(aaguid), &aag_len) == 0 &&
	    aag_len == sizeof(aaguid))
		memcpy(ret->aaguid, aaguid, sizeof(aaguid));
	ret->backup_eligible = json_is_true(member(flags, "backupEligible"));
	ret->backed_up = json_is_true(member(flags, "backupState"));
	/* a key we could not verify with is no passkey at all */
	r = cose_key_parse(ret->cose_key, ret->cose_key_len, &key, &ret->alg, err);
out:
	sig_key_free(key);
	json_decref(root);
	if (raw)
		sodium_memzero(raw, n);
	free(raw);
	return r;
}

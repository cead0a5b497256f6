/* SPDX-License-Identifier: MIT */
/*
 * The stored peer: lifecycle (new/free/dup), validation of every field that reaches a device or
 * the generated file, the file name rule (spec 4.4) and the mode derivation (spec 3.1).
 */
#include "model/peer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "model/model-int.h"
#include "util/err.h"

struct peer *peer_new(void)
{
	return calloc(1, sizeof(struct peer));
}

void peer_release(struct peer *p)
{
	if (!p)
		return;
	free(p->display_name);
	free(p->user_identifier);
	free(p->interface_identifier);
	free(p->disabled_reason);
	free(p->expires_at);
	free(p->notes);
	free(p->endpoint.value);
	free(p->endpoint_public_key.value);
	strv_release(&p->allowed_ips.value);
	strv_release(&p->extra_allowed_ips);
	free(p->mode);
	strv_release(&p->addresses);
	free(p->check_alive_address);
	strv_release(&p->dns.value);
	strv_release(&p->dns_search.value);
	free(p->routing_table.value);
	free(p->pre_up.value);
	free(p->post_up.value);
	free(p->pre_down.value);
	free(p->post_down.value);
	/* wipe the whole struct: it holds the private and preshared keys inline */
	sodium_memzero(p, sizeof(*p));
}

struct peer *peer_free(struct peer *p)
{
	if (p) {
		peer_release(p);
		free(p);
	}
	return NULL;
}

void peer_list_free(struct peer **list, size_t n)
{
	if (!list)
		return;
	for (size_t i = 0; i < n; i++)
		peer_free(list[i]);
	free(list);
}

static char *dup_or_null(const char *s, bool *failed)
{
	char *c;

	if (!s)
		return NULL;
	c = strdup(s);
	if (!c)
		*failed = true;
	return c;
}

static void copy_strv(struct strv *dst, const struct strv *src, bool *failed)
{
	*dst = (struct strv)STRV_INIT;
	if (strv_copy(dst, src) < 0)
		*failed = true;
}

struct peer *peer_dup(const struct peer *src)
{
	struct peer *d;
	bool failed = false;

	if (!src)
		return NULL;
	d = peer_new();
	if (!d)
		return NULL;
	/* Scalars, flags and key arrays first; every pointer is then replaced by its own copy. */
	*d = *src;
	d->display_name = dup_or_null(src->display_name, &failed);
	d->user_identifier = dup_or_null(src->user_identifier, &failed);
	d->interface_identifier = dup_or_null(src->interface_identifier, &failed);
	d->disabled_reason = dup_or_null(src->disabled_reason, &failed);
	d->expires_at = dup_or_null(src->expires_at, &failed);
	d->notes = dup_or_null(src->notes, &failed);
	d->endpoint.value = dup_or_null(src->endpoint.value, &failed);
	d->endpoint_public_key.value = dup_or_null(src->endpoint_public_key.value, &failed);
	copy_strv(&d->allowed_ips.value, &src->allowed_ips.value, &failed);
	copy_strv(&d->extra_allowed_ips, &src->extra_allowed_ips, &failed);
	d->mode = dup_or_null(src->mode, &failed);
	copy_strv(&d->addresses, &src->addresses, &failed);
	d->check_alive_address = dup_or_null(src->check_alive_address, &failed);
	copy_strv(&d->dns.value, &src->dns.value, &failed);
	copy_strv(&d->dns_search.value, &src->dns_search.value, &failed);
	d->routing_table.value = dup_or_null(src->routing_table.value, &failed);
	d->pre_up.value = dup_or_null(src->pre_up.value, &failed);
	d->post_up.value = dup_or_null(src->post_up.value, &failed);
	d->pre_down.value = dup_or_null(src->pre_down.value, &failed);
	d->post_down.value = dup_or_null(src->post_down.value, &failed);
	if (failed)
		return peer_free(d);
	return d;
}

static int check_identity(const struct peer *p, struct err *err)
{
	int r;

	if (!p->public_key[0])
		return err_field(err, -EINVAL, "PublicKey", "field 'PublicKey' must not be empty");
	r = model_check_key("PublicKey", p->public_key, false, err);
	if (r < 0)
		return r;
	if (strcmp(p->identifier, p->public_key) != 0)
		return err_field(err, -EINVAL, "Identifier", "peer identifier must equal its public key");
	if ((r = model_check_key("PrivateKey", p->private_key, true, err)) < 0 ||
	    (r = model_check_key("PresharedKey", p->preshared_key, true, err)) < 0 ||
	    (r = model_check_key("EndpointPublicKey", p->endpoint_public_key.value, false, err)) < 0)
		return r;
	return 0;
}

int peer_validate(const struct peer *p, struct err *err)
{
	const struct {
		const char *field;
		const char *value;
	} texts[] = {
		{ "DisplayName", p->display_name },
		{ "UserIdentifier", p->user_identifier },
		{ "InterfaceIdentifier", p->interface_identifier },
		{ "DisabledReason", p->disabled_reason },
		{ "Notes", p->notes },
		{ "RoutingTable", p->routing_table.value },
		{ "PreUp", p->pre_up.value },
		{ "PostUp", p->post_up.value },
		{ "PreDown", p->pre_down.value },
		{ "PostDown", p->post_down.value },
	};
	int r;

	if ((r = check_identity(p, err)) < 0)
		return r;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		r = model_check_text(texts[i].field, texts[i].value, err);
		if (r < 0)
			return r;
	}
	if ((r = model_check_mode("Mode", p->mode, true, err)) < 0 ||
	    (r = model_check_date("ExpiresAt", p->expires_at, err)) < 0 ||
	    (r = model_check_endpoint("Endpoint", p->endpoint.value, false, err)) < 0 ||
	    (r = model_check_cidr_list("AllowedIPs", &p->allowed_ips.value, err)) < 0 ||
	    (r = model_check_cidr_list("ExtraAllowedIPs", &p->extra_allowed_ips, err)) < 0 ||
	    (r = model_check_range("PersistentKeepalive", p->persistent_keepalive.value, 0, 65535,
				   err)) < 0 ||
	    (r = model_check_cidr_list("Addresses", &p->addresses, err)) < 0 ||
	    (r = model_check_ip("CheckAliveAddress", p->check_alive_address, err)) < 0 ||
	    (r = model_check_ip_list("Dns", &p->dns.value, err)) < 0 ||
	    (r = model_check_hostname_list("DnsSearch", &p->dns_search.value, err)) < 0 ||
	    (r = model_check_mtu("Mtu", p->mtu.value, err)) < 0 ||
	    (r = model_check_range("FirewallMark", p->firewall_mark.value, 0, UINT32_MAX, err)) < 0 ||
	    (r = model_check_routing_table("RoutingTable", p->routing_table.value, err)) < 0)
		return r;
	return 0;
}

void peer_filename(const struct peer *p, char out[static 32])
{
	const char *dn = p->display_name;
	char *all, *w;
	size_t len;

	if (!dn || !*dn) {
		/* "wg_" + the first 8 characters of the identifier, then only step 3 */
		char tmp[16] = "wg_";

		memcpy(tmp + 3, p->identifier, 8);
		tmp[11] = '\0';
		model_filename_finish(tmp, 16, out);
		return;
	}
	len = strlen(dn);
	all = malloc(len + 1);
	if (!all) {
		memcpy(out, ".conf", 6);
		return;
	}
	/* step 1: spaces become '_' */
	for (size_t i = 0; i <= len; i++)
		all[i] = dn[i] == ' ' ? '_' : dn[i];
	/* step 2: one left-to-right pass like Go's strings.ReplaceAll; w trails r, so the bytes
	 * still to be matched are never overwritten */
	w = all;
	for (char *r = all; *r;) {
		if (!strncmp(r, "Autodetected_", 13)) {
			r += 13;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
	model_filename_finish(all, 16, out);
	free(all);
}

const char *peer_mode_for_iface(const char *iface_mode)
{
	return iface_mode && !strcmp(iface_mode, "client") ? "server" : "client";
}

/* SPDX-License-Identifier: MIT */
/*
 * The stored interface: lifecycle (new/free/dup), validation of every field that reaches a
 * device or a file, and wg-portal's file name rule.
 */
#include "model/iface.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "model/model-int.h"
#include "util/err.h"

int str_set(char **field, const char *s)
{
	char *copy = NULL;

	if (s && *s) {
		copy = strdup(s);
		if (!copy)
			return -ENOMEM;
	}
	free(*field);
	*field = copy;
	return 0;
}

struct iface *iface_new(void)
{
	return calloc(1, sizeof(struct iface));
}

void iface_release(struct iface *ifc)
{
	if (!ifc)
		return;
	free(ifc->identifier);
	free(ifc->display_name);
	free(ifc->mode);
	sodium_memzero(ifc->private_key, sizeof(ifc->private_key));
	free(ifc->disabled_reason);
	strv_release(&ifc->addresses);
	strv_release(&ifc->dns);
	strv_release(&ifc->dns_search);
	free(ifc->routing_table);
	free(ifc->pre_up);
	free(ifc->post_up);
	free(ifc->pre_down);
	free(ifc->post_down);
	strv_release(&ifc->peer_def_network);
	strv_release(&ifc->peer_def_dns);
	strv_release(&ifc->peer_def_dns_search);
	free(ifc->peer_def_endpoint);
	strv_release(&ifc->peer_def_allowed_ips);
	free(ifc->peer_def_routing_table);
	free(ifc->peer_def_pre_up);
	free(ifc->peer_def_post_up);
	free(ifc->peer_def_pre_down);
	free(ifc->peer_def_post_down);
	free(ifc->backend);
	free(ifc->node);
	memset(ifc, 0, sizeof(*ifc));
}

struct iface *iface_free(struct iface *ifc)
{
	if (ifc) {
		iface_release(ifc);
		free(ifc);
	}
	return NULL;
}

void iface_list_free(struct iface **list, size_t n)
{
	if (!list)
		return;
	for (size_t i = 0; i < n; i++)
		iface_free(list[i]);
	free(list);
}

/* NULL stays NULL; OOM sets *failed. */
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

struct iface *iface_dup(const struct iface *src)
{
	struct iface *d;
	bool failed = false;

	if (!src)
		return NULL;
	d = iface_new();
	if (!d)
		return NULL;
	/* Scalars and key arrays first; every pointer is then replaced by its own copy. */
	*d = *src;
	d->identifier = dup_or_null(src->identifier, &failed);
	d->display_name = dup_or_null(src->display_name, &failed);
	d->mode = dup_or_null(src->mode, &failed);
	d->disabled_reason = dup_or_null(src->disabled_reason, &failed);
	copy_strv(&d->addresses, &src->addresses, &failed);
	copy_strv(&d->dns, &src->dns, &failed);
	copy_strv(&d->dns_search, &src->dns_search, &failed);
	d->routing_table = dup_or_null(src->routing_table, &failed);
	d->pre_up = dup_or_null(src->pre_up, &failed);
	d->post_up = dup_or_null(src->post_up, &failed);
	d->pre_down = dup_or_null(src->pre_down, &failed);
	d->post_down = dup_or_null(src->post_down, &failed);
	copy_strv(&d->peer_def_network, &src->peer_def_network, &failed);
	copy_strv(&d->peer_def_dns, &src->peer_def_dns, &failed);
	copy_strv(&d->peer_def_dns_search, &src->peer_def_dns_search, &failed);
	d->peer_def_endpoint = dup_or_null(src->peer_def_endpoint, &failed);
	copy_strv(&d->peer_def_allowed_ips, &src->peer_def_allowed_ips, &failed);
	d->peer_def_routing_table = dup_or_null(src->peer_def_routing_table, &failed);
	d->peer_def_pre_up = dup_or_null(src->peer_def_pre_up, &failed);
	d->peer_def_post_up = dup_or_null(src->peer_def_post_up, &failed);
	d->peer_def_pre_down = dup_or_null(src->peer_def_pre_down, &failed);
	d->peer_def_post_down = dup_or_null(src->peer_def_post_down, &failed);
	d->backend = dup_or_null(src->backend, &failed);
	d->node = dup_or_null(src->node, &failed);
	if (failed)
		return iface_free(d);
	return d;
}

static int check_keys(const struct iface *ifc, struct err *err)
{
	char derived[WG_KEY_B64_SIZE];
	int r;

	r = model_check_key("PrivateKey", ifc->private_key, true, err);
	if (r == 0)
		r = model_check_key("PublicKey", ifc->public_key, false, err);
	if (r < 0)
		return r;
	if (ifc->private_key[0] && ifc->public_key[0]) {
		r = key_public_b64(derived, ifc->private_key);
		if (r < 0 || strcmp(derived, ifc->public_key) != 0)
			return err_field(err, -EINVAL, "PublicKey",
					 "invalid public key for given privatekey");
	}
	return 0;
}

int iface_validate(const struct iface *ifc, struct err *err)
{
	const struct {
		const char *field;
		const char *value;
	} texts[] = {
		{ "DisplayName", ifc->display_name },
		{ "DisabledReason", ifc->disabled_reason },
		{ "PreUp", ifc->pre_up },
		{ "PostUp", ifc->post_up },
		{ "PreDown", ifc->pre_down },
		{ "PostDown", ifc->post_down },
		{ "PeerDefPreUp", ifc->peer_def_pre_up },
		{ "PeerDefPostUp", ifc->peer_def_post_up },
		{ "PeerDefPreDown", ifc->peer_def_pre_down },
		{ "PeerDefPostDown", ifc->peer_def_post_down },
		{ "Backend", ifc->backend },
	};
	int r;

	r = model_check_netdev_name("Identifier", ifc->identifier, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		r = model_check_text(texts[i].field, texts[i].value, err);
		if (r < 0)
			return r;
	}
	if ((r = model_check_mode("Mode", ifc->mode, false, err)) < 0 ||
	    (r = check_keys(ifc, err)) < 0 ||
	    (r = model_check_range("ListenPort", ifc->listen_port, 0, 65535, err)) < 0 ||
	    (r = model_check_mtu("Mtu", ifc->mtu, err)) < 0 ||
	    (r = model_check_cidr_list("Addresses", &ifc->addresses, err)) < 0 ||
	    (r = model_check_ip_list("Dns", &ifc->dns, err)) < 0 ||
	    (r = model_check_hostname_list("DnsSearch", &ifc->dns_search, err)) < 0 ||
	    (r = model_check_routing_table("RoutingTable", ifc->routing_table, err)) < 0 ||
	    (r = model_check_cidr_list("PeerDefNetwork", &ifc->peer_def_network, err)) < 0 ||
	    (r = model_check_ip_list("PeerDefDns", &ifc->peer_def_dns, err)) < 0 ||
	    (r = model_check_hostname_list("PeerDefDnsSearch", &ifc->peer_def_dns_search, err)) < 0 ||
	    (r = model_check_endpoint("PeerDefEndpoint", ifc->peer_def_endpoint, true, err)) < 0 ||
	    (r = model_check_cidr_list("PeerDefAllowedIPs", &ifc->peer_def_allowed_ips, err)) < 0 ||
	    (r = model_check_mtu("PeerDefMtu", ifc->peer_def_mtu, err)) < 0 ||
	    (r = model_check_range("PeerDefPersistentKeepalive", ifc->peer_def_persistent_keepalive,
				   0, 65535, err)) < 0 ||
	    (r = model_check_routing_table("PeerDefRoutingTable", ifc->peer_def_routing_table,
					   err)) < 0)
		return r;
	return 0;
}

void iface_filename(const struct iface *ifc, char out[static 32])
{
	model_filename_finish(ifc->identifier, 16, out);
}

/* SPDX-License-Identifier: MIT */
/*
 * The interface's own wg-quick file (spec/wg-portal-compat.md 4.7; docs/wg-portal-behaviour.md
 * "Interface files"): written to advanced.config_storage_path
 * for interfaces with SaveConfig, and shown/downloaded in the UI.
 *
 * Deliberate differences (docs/wg-portal-behaviour.md): no line with an empty value (wg-quick
 * refuses "Address = " and friends); peers' private keys are not copied into the server's file
 * (wg-portal adds them as "-WGP- PrivateKey" comments: the server has no use for them); the
 * [Peer] AllowedIPs are what the device gets (spec 3.1): addresses plus extra networks for
 * server and "any" interfaces (wg-portal writes none for "any"), the peer's AllowedIPs plus
 * extra networks for client interfaces, where Endpoint and PersistentKeepalive follow too.
 */
#include "model/ifaceconf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model/peerconf.h"
#include "util/buf.h"
#include "util/err.h"

#define IFACECONF_MAX (64 * 1024 * 1024)

static int check_iface(const struct iface *ifc, struct err *err)
{
	const struct {
		const char *field, *value;
	} texts[] = {
		{ "Identifier", ifc->identifier }, { "DisplayName", ifc->display_name },
		{ "Mode", ifc->mode },             { "RoutingTable", ifc->routing_table },
		{ "PreUp", ifc->pre_up },          { "PostUp", ifc->post_up },
		{ "PreDown", ifc->pre_down },      { "PostDown", ifc->post_down },
	};
	int r;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if ((r = peerconf_check_value(texts[i].field, texts[i].value, err)) < 0)
			return r;
	if ((r = peerconf_check_list("Addresses", &ifc->addresses, err)) < 0 ||
	    (r = peerconf_check_list("Dns", &ifc->dns, err)) < 0 ||
	    (r = peerconf_check_list("DnsSearch", &ifc->dns_search, err)) < 0)
		return r;
	return 0;
}

static int check_peer(const struct peer *p, struct err *err)
{
	int r;

	if ((r = peerconf_check_value("DisplayName", p->display_name, err)) < 0 ||
	    (r = peerconf_check_value("Endpoint", p->endpoint.value, err)) < 0 ||
	    (r = peerconf_check_list("Addresses", &p->addresses, err)) < 0 ||
	    (r = peerconf_check_list("AllowedIPs", &p->allowed_ips.value, err)) < 0 ||
	    (r = peerconf_check_list("ExtraAllowedIPs", &p->extra_allowed_ips, err)) < 0)
		return r;
	return 0;
}

/* "AllowedIPs = a,b" from up to two lists (empty line left out). */
static int put_allowed(struct buf *b, const struct strv *first, const struct strv *extra)
{
	int r = 0;

	if (!first->n && !extra->n)
		return 0;
	r |= buf_puts(b, "AllowedIPs = ");
	r |= peerconf_put_list(b, first);
	if (first->n && extra->n)
		r |= buf_puts(b, ",");
	r |= peerconf_put_list(b, extra);
	r |= buf_puts(b, "\n");
	return r;
}

static int render_peer(struct buf *b, const char *mode, const struct peer *p)
{
	char created[64], updated[64];
	bool client = !strcmp(mode, "client"), any = !strcmp(mode, "any");
	int r = 0;

	peerconf_time(p->created_at, created);
	peerconf_time(p->updated_at, updated);
	r |= buf_puts(b, "\n[Peer]\n");
	/* read by prometheus_wireguard_exporter */
	r |= buf_printf(b, "# friendly_name = %s\n", STR(p->display_name));
	r |= buf_printf(b, "# -WGP- Peer: %s\n", p->identifier);
	r |= buf_printf(b, "# -WGP- Created: %s\n", created);
	r |= buf_printf(b, "# -WGP- Updated: %s\n", updated);
	r |= buf_printf(b, "# -WGP- Display name: %s\n", STR(p->display_name));
	r |= buf_printf(b, "PublicKey = %s\n", p->public_key);
	r |= peerconf_put_opt(b, "PresharedKey", p->preshared_key);
	if (client)
		r |= put_allowed(b, &p->allowed_ips.value, &p->extra_allowed_ips);
	else
		r |= put_allowed(b, &p->addresses, &p->extra_allowed_ips);
	if (client || any) {
		r |= peerconf_put_opt(b, "Endpoint", p->endpoint.value);
		if (p->persistent_keepalive.value)
			r |= buf_printf(b, "PersistentKeepalive = %lld\n",
					(long long)p->persistent_keepalive.value);
	}
	return r;
}

static int render(struct buf *b, const struct iface *ifc, struct peer *const *peers, size_t n)
{
	char created[64], updated[64];
	const char *mode = STR(ifc->mode);
	int r = 0;

	peerconf_time(ifc->created_at, created);
	peerconf_time(ifc->updated_at, updated);
	r |= peerconf_put_header(b, "wg-quick");
	r |= buf_printf(b, "# -WGP- Interface: %s\n", STR(ifc->identifier));
	r |= buf_printf(b, "# -WGP- Created: %s\n", created);
	r |= buf_printf(b, "# -WGP- Updated: %s\n", updated);
	r |= buf_printf(b, "# -WGP- Display name: %s\n", STR(ifc->display_name));
	r |= buf_printf(b, "# -WGP- Interface mode: %s\n", mode);
	r |= buf_printf(b, "# -WGP- PublicKey = %s\n", ifc->public_key);
	r |= buf_puts(b, "\n# Core settings\n");
	r |= buf_printf(b, "PrivateKey = %s\n", ifc->private_key);
	if (ifc->addresses.n) {
		r |= buf_puts(b, "Address = ");
		r |= peerconf_put_list(b, &ifc->addresses);
		r |= buf_puts(b, "\n");
	}
	r |= buf_puts(b, "\n# Misc. settings (optional)\n");
	if (ifc->listen_port)
		r |= buf_printf(b, "ListenPort = %d\n", ifc->listen_port);
	if (ifc->mtu)
		r |= buf_printf(b, "MTU = %d\n", ifc->mtu);
	/* the host's resolver is set for client and any interfaces only (spec 3.1) */
	if (ifc->dns.n && strcmp(mode, "server")) {
		r |= buf_puts(b, "DNS = ");
		r |= peerconf_put_list(b, &ifc->dns);
		if (ifc->dns_search.n) {
			r |= buf_puts(b, ",");
			r |= peerconf_put_list(b, &ifc->dns_search);
		}
		r |= buf_puts(b, "\n");
	}
	if (ifc->firewall_mark)
		r |= buf_printf(b, "FwMark = %u\n", (unsigned)ifc->firewall_mark);
	r |= peerconf_put_opt(b, "Table", ifc->routing_table);
	if (ifc->save_config)
		r |= buf_puts(b, "SaveConfig = true\n");
	r |= buf_puts(b, "\n# Interface hooks (optional)\n");
	r |= peerconf_put_opt(b, "PreUp", ifc->pre_up);
	r |= peerconf_put_opt(b, "PostUp", ifc->post_up);
	r |= peerconf_put_opt(b, "PreDown", ifc->pre_down);
	r |= peerconf_put_opt(b, "PostDown", ifc->post_down);
	r |= buf_puts(b, "\n#\n# Peers\n#\n");
	for (size_t i = 0; i < n; i++)
		if (!peers[i]->disabled)   /* disabled peers are not on the device either */
			r |= render_peer(b, mode, peers[i]);
	return r < 0 ? -E2BIG : 0;
}

int ifaceconf_render(const struct iface *ifc, struct peer *const *peers, size_t n, char **ret,
		     struct err *err)
{
	struct buf b;
	int r = check_iface(ifc, err);

	for (size_t i = 0; r == 0 && i < n; i++)
		if (!peers[i]->disabled)
			r = check_peer(peers[i], err);
	if (r < 0)
		return r;
	buf_init(&b, IFACECONF_MAX);
	r = render(&b, ifc, peers, n);
	if (r < 0) {
		buf_wipe(&b);
		return err_set(err, r, "interface configuration too large or out of memory");
	}
	*ret = buf_detach(&b);
	if (!*ret)
		return err_set(err, -ENOMEM, "out of memory");
	return 0;
}

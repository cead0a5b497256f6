/* SPDX-License-Identifier: MIT */
/*
 * pfSense write batches (spec/pfsense-rest.md 2.5, 2.6; tests/sim/README.md):
 *   - writes go one at a time: pfSense rewrites its whole config.xml per request and the pfrest
 *     docs warn it is not built for concurrent writers, so parallel writes could lose changes;
 *   - ids are array positions that shift after a delete: a PATCH after other writes of the
 *     batch looks its peer up again first, DELETEs go to the plural endpoint by natural key
 *     (?publickey=&tun=, ?name=), which pfSense resolves atomically, and each answer is checked
 *     to be about the object meant;
 *   - one apply per batch: the last POST/PATCH carries apply=true with async=false, a batch
 *     ending in a DELETE (the plural endpoint ignores `apply`) is followed by POST /apply, and
 *     success is reported only after GET /apply says the apply ran (polled, bounded by
 *     api_timeout). A batch that fails half way still applies what it wrote (the running
 *     state must match the config later reads show) and remembers an apply that failed, so
 *     the next call applies first;
 *   - a peer create reported as failed but that may have landed (answer lost; libcurl repeats
 *     a request on a dropped reused connection, and the repeat meets the first one's peer) is
 *     removed again: at once, or with the next call once the firewall answers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/backend.h"
#include "backends/http/http.h"
#include "backends/pfsense/pf-int.h"
#include "util/err.h"
#include "util/log.h"

void pf_op_release(struct pf_op *o)
{
	jsonw_wipe(&o->body);
}

void pf_ops_free(struct pf_op *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		pf_op_release(&v[i]);
	free(v);
}

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/*
 * Waits until GET /vpn/wireguard/apply says {"applied": true}: the write or POST before asked
 * for a synchronous apply, but pfrest runs the dispatcher in the background when it is busy or
 * ignores `async`, and only this flag says the running WireGuard state caught up. Polls with a
 * growing pause (25 ms .. 1 s), at most api_timeout in all. 0, or -ETIMEDOUT / -errno.
 */
static int confirm_applied(struct pf_priv *pp, struct err *err)
{
	long deadline = mono_ms() + pp->timeout_ms, pause_ms = 25;

	for (;;) {
		struct http_reply rep = { 0 };
		bool applied = false;
		int r = rest_call(&pp->rest, "GET", PF_W "/apply", NULL,
				  "checking that the changes were applied", &rep, err);

		if (r == 0)
			r = pf_parse_apply(rep.body, rep.len, &applied, err);
		http_reply_release(&rep);
		if (r < 0)
			return r;
		if (applied)
			return 0;
		if (mono_ms() + pause_ms > deadline)
			return err_set(err, -ETIMEDOUT,
				       "pfSense has not finished applying the WireGuard changes "
				       "after %ld s (api_timeout); they stay staged and are applied "
				       "with the next change", pp->timeout_ms / 1000);
		struct timespec ts = { pause_ms / 1000, (pause_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		pause_ms = pause_ms * 2 > 1000 ? 1000 : pause_ms * 2;
	}
}

int pf_apply_now(struct pf_priv *pp, struct err *err)
{
	struct http_reply rep = { 0 };
	bool applied = false;
	int r;

	r = rest_call(&pp->rest, "POST", PF_W "/apply", "{\"async\":false}",
		      "applying the WireGuard changes", &rep, err);
	if (r == 0)
		r = pf_parse_apply(rep.body, rep.len, &applied, err);
	http_reply_release(&rep);
	if (r == 0 && !applied)
		r = confirm_applied(pp, err);
	pp->apply_pending = r < 0;
	return r;
}

/* Checks that a write's answer names the object the op meant (ids can shift under us when
 * another client deletes something between our read and our write). */
static int check_answer(const struct pf_op *o, const struct http_reply *rep, bool *ret_changed,
			struct err *err)
{
	int r = 0;

	*ret_changed = true;
	if (!strcmp(o->method, "DELETE") && o->kind == OP_PEER) {
		/* plural DELETE by natural key: every object it removed must be one we meant */
		struct pf_peer *v;
		size_t n;
		if (pf_parse_peers(rep->body, rep->len, &v, &n, NULL, err) < 0)
			return err_prefix(err, "pfSense's answer to a peer delete");
		for (size_t i = 0; i < n && r == 0; i++)
			if (strcmp(v[i].tun, o->name) ||
			    (!o->all_of_tunnel && memcmp(v[i].public_key, o->pub, WG_KEY_LEN)))
				r = err_set(err, -ESTALE, "pfSense deleted a peer the query did not "
							  "name (filter ignored?)");
		pf_peers_free(v, n);
		*ret_changed = n > 0;
		return r;
	}
	if (!strcmp(o->method, "DELETE")) {
		struct pf_tunnel *v;
		size_t n;
		if (pf_parse_tunnels(rep->body, rep->len, &v, &n, err) < 0)
			return err_prefix(err, "pfSense's answer to a tunnel delete");
		for (size_t i = 0; i < n && r == 0; i++)
			if (strcmp(v[i].name, o->name))
				r = err_set(err, -ESTALE, "pfSense deleted tunnel '%s', not '%s' (filter "
							  "ignored?)", v[i].name, o->name);
		pf_tunnels_free(v, n);
		*ret_changed = n > 0;
		return r;
	}
	if (o->kind == OP_PEER) {
		struct pf_peer p;
		if (pf_parse_peer_one(rep->body, rep->len, &p, err) < 0)
			return err_prefix(err, "pfSense's answer to a peer write (it may have "
					       "been written)");
		if (memcmp(p.public_key, o->pub, WG_KEY_LEN))
			r = err_set(err, -ESTALE,
				    "pfSense peer id %ld now belongs to another peer (another client "
				    "changed the peer list while we wrote); read again and retry",
				    o->id);
		pf_peer_release(&p);
	} else {
		struct pf_tunnel t;
		if (pf_parse_tunnel_one(rep->body, rep->len, &t, err) < 0)
			return err_prefix(err, "pfSense's answer to a tunnel write (it may have "
					       "been written)");
		if (strcmp(t.name, o->name))
			r = err_set(err, -ESTALE,
				    "pfSense tunnel id %ld is '%s', not '%s' (another client changed "
				    "the tunnel list while we wrote); read again and retry",
				    o->id, t.name, o->name);
		pf_tunnel_release(&t);
	}
	return r;
}

/* The current id of the peer o is about (o->id is the one of the batch's first read). */
static int resolve_peer(struct pf_priv *pp, struct pf_op *o, struct err *err)
{
	struct http_reply rep = { 0 };
	struct pf_peer *v = NULL;
	char pub[WG_KEY_B64_SIZE];
	size_t n = 0;
	char *path;
	int r;

	key_to_base64(pub, o->pub);
	path = http_path_query(PF_W "/peers", "publickey", pub, "tun", o->name);
	if (!path)
		return err_set(err, -ENOMEM, "out of memory");
	r = rest_call(&pp->rest, "GET", path, NULL, "looking the peer up again", &rep, err);
	free(path);
	if (r == 0)
		r = pf_parse_peers(rep.body, rep.len, &v, &n, NULL, err);
	http_reply_release(&rep);
	if (r == 0 && n == 0)
		r = err_set(err, -ESTALE, "a peer of pfSense tunnel '%s' was removed by somebody "
					  "else while we wrote; read again and retry", o->name);
	if (r == 0)
		o->id = v[0].id;
	pf_peers_free(v, n);
	return r;
}

int pf_run_ops(struct pf_priv *pp, struct pf_op *ops, size_t n, const char *what,
	       void (*done_cb)(struct pf_priv *, const struct pf_op *, const struct http_reply *),
	       struct err *err)
{
	size_t done = 0;
	bool wrote = false;   /* something changed: an apply is owed */
	int r = 0;

	if (n == 0)
		return pp->apply_pending ? pf_apply_now(pp, err) : 0;
	for (size_t i = 0; i < n; i++) {
		struct pf_op *o = &ops[i];
		bool last = i + 1 == n;
		const char *base = o->kind == OP_PEER ? PF_W "/peer" : PF_W "/tunnel";
		struct http_reply rep = { 0 };
		char *path = NULL, *body = NULL;
		bool landed = false;
		bool changed = false;
		char w[160];

		snprintf(w, sizeof(w), "%s (%s %s)", what, o->method, base);
		/* the first write follows the batch's read at once; a later PATCH follows other
		 * round trips, in which somebody may have deleted a peer and shifted the ids:
		 * it looks its peer up again, right before writing (spec 2.5) */
		if (i > 0 && o->kind == OP_PEER && !strcmp(o->method, "PATCH") &&
		    (r = resolve_peer(pp, o, err)) < 0) {
			if (done)
				pp->apply_pending = true;
			break;
		}
		if (!strcmp(o->method, "DELETE")) {
			/* by natural key on the plural endpoint, never by id: an id can shift
			 * between our read and this call (spec 2.5), a name or key cannot, and
			 * pfSense resolves it atomically. The plural DELETE ignores `apply`
			 * (tests/sim/README.md): the apply follows after the batch. */
			char pub[WG_KEY_B64_SIZE];
			if (o->kind == OP_PEER && !o->all_of_tunnel) {
				key_to_base64(pub, o->pub);
				path = http_path_query(PF_W "/peers", "publickey", pub, "tun",
						       o->name);
			} else if (o->kind == OP_PEER) {
				path = http_path_query(PF_W "/peers", "tun", o->name, NULL, NULL);
			} else {
				path = http_path_query(PF_W "/tunnels", "name", o->name, NULL, NULL);
			}
		} else {
			path = strdup(base);
			if (strcmp(o->method, "POST"))
				jsonw_int(&o->body, "id", o->id);
			if (last) {
				jsonw_bool(&o->body, "apply", true);
				jsonw_bool(&o->body, "async", false);
			}
			body = jsonw_end(&o->body);
		}
		if (!path || (strcmp(o->method, "DELETE") && !body)) {
			free(path);
			jsonw_free(body);
			r = err_set(err, -ENOMEM, "out of memory (or request too large)");
			break;
		}
		r = rest_call(&pp->rest, o->method, path, body, w, &rep, err);
		free(path);
		jsonw_free(body);
		if (r == -ENOENT && !strcmp(o->method, "DELETE")) {
			r = 0; /* gone meanwhile */
		} else if (r == 0) {
			pf_set_readonly(pp, false); /* the key may write (again) */
			r = check_answer(o, &rep, &changed, err);
			landed = true;
			wrote |= changed;
		}
		if (r == 0 || landed) {
			done++;
			if (done_cb)
				done_cb(pp, o, &rep);
		}
		http_reply_release(&rep);
		if (r < 0) {
			/* the apply is owed when earlier writes are staged, when this write
			 * (carrying the apply, if last) may have landed without an answer, or
			 * when it landed on a shifted id without being the last */
			bool no_answer = !landed && (r == -EHOSTUNREACH || r == -ETIMEDOUT ||
						     r == -EPROTO);
			if (done > (landed ? 1u : 0u) || no_answer || (landed && !last))
				pp->apply_pending = true;
			if (o->kind == OP_PEER && !strcmp(o->method, "POST") && r != -EINVAL &&
			    r != -EACCES && r != -ENOENT && pp->n_undo < PF_UNDO_MAX) {
				struct pf_undo *u = &pp->undo[pp->n_undo++];
				memcpy(u->pub, o->pub, WG_KEY_LEN);
				snprintf(u->tun, sizeof(u->tun), "%s", o->name);
				if (r == -EEXIST)
					/* the key was absent when the batch began: a repeat of
					 * our own request (libcurl re-sends on a dropped reused
					 * connection) found what the first one wrote */
					r = err_set(err, -EPROTO,
						    "pfSense: the answer to creating the peer was lost "
						    "(a repeat found it written); it is removed again");
			}
			break;
		}
	}
	if (r == 0) {
		/* the last write carried the apply, unless it was a DELETE (plural: the apply
		 * is ignored there, so it is asked for now); success only once it ran */
		if (strcmp(ops[n - 1].method, "DELETE"))
			r = confirm_applied(pp, err);
		else if (wrote || pp->apply_pending)
			r = pf_apply_now(pp, err);
		pp->apply_pending = r < 0;
		return r;
	}
	if (pp->apply_pending) {
		struct err e2 = { 0 };
		/* what was written must run, so that reads match the running state */
		if (pf_apply_now(pp, &e2) < 0)
			log_debug("backend '%s': apply after a failed write: %s", pp->id, e2.msg);
	}
	return r;
}

/* Removes the peers of pp->undo (see struct pf_undo) that batch (may be NULL) does not upsert;
 * entries it upserts are dropped, the batch writes them. Best effort: what cannot be removed
 * now stays for the next call. */
void pf_undo_run(struct pf_priv *pp, const char *iface, const struct dev_peer *batch, size_t n)
{
	struct pf_op ops[PF_UNDO_MAX];
	size_t nops = 0, keep = 0;
	struct err e = { 0 };

	for (size_t i = 0; i < pp->n_undo; i++) {
		const struct pf_undo *u = &pp->undo[i];
		bool wanted = false;
		for (size_t k = 0; iface && k < n && !wanted; k++)
			wanted = !strcmp(u->tun, iface) && !(batch[k].flags & DEV_PEER_REMOVE) &&
				 !memcmp(batch[k].public_key, u->pub, WG_KEY_LEN);
		if (wanted)
			continue;
		memset(&ops[nops], 0, sizeof(ops[nops]));
		ops[nops].method = "DELETE";
		ops[nops].kind = OP_PEER;
		memcpy(ops[nops].pub, u->pub, WG_KEY_LEN);
		snprintf(ops[nops].name, sizeof(ops[nops].name), "%s", u->tun);
		nops++;
	}
	pp->n_undo = 0;
	if (nops && pf_run_ops(pp, ops, nops, "removing a peer whose create failed", NULL, &e) < 0) {
		log_debug("backend '%s': %s (retried with the next call)", pp->id, e.msg);
		for (size_t i = 0; i < nops; i++) {
			memcpy(pp->undo[keep].pub, ops[i].pub, WG_KEY_LEN);
			snprintf(pp->undo[keep].tun, sizeof(pp->undo[keep].tun), "%s", ops[i].name);
			keep++;
		}
		pp->n_undo = keep;
	}
	for (size_t i = 0; i < nops; i++)
		pf_op_release(&ops[i]);
}


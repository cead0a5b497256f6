/* SPDX-License-Identifier: MIT */
/*
 * LDAP sign-in and directory search on libldap (auth/ldap_auth.h). Connection set-up follows
 * wg-portal internal/ldap_utils.go:35-73 (dial, optional StartTLS, service bind); the TLS
 * options are set on the handle and take effect through LDAP_OPT_X_TLS_NEWCTX (deps.md 6).
 * One deliberate difference: wg-portal turns certificate verification on whenever a client
 * certificate is configured (ldap_utils.go:54 builds a new tls.Config without
 * InsecureSkipVerify); here cert_validation alone decides (docs/auth.md).
 */
#include "auth/ldap_auth.h"

#include <ctype.h>
#include <errno.h>
#include <ldap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "util/buf.h"
#include "util/err.h"

#define LDAP_NET_TIMEOUT_S 5
#define LDAP_OP_TIMEOUT_S 20     /* wg-portal's search time limit (auth_ldap.go:49) */
#define LDAP_FILTER_MAX 4096
#define LDAP_SYNC_PAGE_SIZE 500  /* below Active Directory's MaxPageSize (1000) */

/* Maps a libldap result code to our errno; -EIO for anything the server refused. */
static int map_rc(int rc)
{
	switch (rc) {
	case LDAP_SUCCESS:
		return 0;
	case LDAP_SERVER_DOWN:
	case LDAP_CONNECT_ERROR:
	case LDAP_UNAVAILABLE:
	case LDAP_BUSY:
		return -EHOSTUNREACH;
	case LDAP_TIMEOUT:
	case LDAP_TIMELIMIT_EXCEEDED:
		return -ETIMEDOUT;
	case LDAP_INVALID_CREDENTIALS:
		return -EACCES;
	case LDAP_NO_SUCH_OBJECT:
		return -ENOENT;
	case LDAP_FILTER_ERROR:
	case LDAP_INVALID_DN_SYNTAX:
		return -EINVAL;
	case LDAP_NO_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* "<what>: <libldap text> (<server diagnostic>)" into err; returns the mapped code. */
static int ldap_fail(LDAP *ld, int rc, struct err *err, const char *what)
{
	char *diag = NULL;
	int r = map_rc(rc);

	if (ld)
		(void)ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	if (diag && strstr(diag, "unknown error code")) {
		ldap_memfree(diag);
		diag = NULL;
	}
	err_set(err, r ? r : -EIO, "%s: %s%s%.200s%s", what, ldap_err2string(rc),
		diag && *diag ? " (" : "", diag && *diag ? diag : "", diag && *diag ? ")" : "");
	ldap_memfree(diag);
	return r ? r : -EIO;
}

/* The CA file/dir that libldap read from LDAPTLS_CACERT(DIR) or ldap.conf's TLS_CACERT(DIR)
 * (global options), copied onto the handle: a handle's own TLS context (NEWCTX) does not
 * inherit them. Without any, the system bundle. */
static int set_ca(LDAP *ld)
{
	static const char system_bundle[] = "/etc/ssl/certs/ca-certificates.crt";
	char *file = NULL, *dir = NULL;
	int rc = LDAP_OPT_SUCCESS;

	(void)ldap_get_option(NULL, LDAP_OPT_X_TLS_CACERTFILE, &file);
	(void)ldap_get_option(NULL, LDAP_OPT_X_TLS_CACERTDIR, &dir);
	if (file && *file)
		rc = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, file);
	if (rc == LDAP_OPT_SUCCESS && dir && *dir)
		rc = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTDIR, dir);
	if (rc == LDAP_OPT_SUCCESS && !(file && *file) && !(dir && *dir))
		rc = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, system_bundle);
	ldap_memfree(file);
	ldap_memfree(dir);
	return rc;
}

/* One TLS context per provider, made on first use and shared by every later connection
 * (LDAP_OPT_X_TLS_CTX, reference-counted by libldap): the CA bundle and client certificate are
 * read once, not at every sign-in. This also bounds a libldap 2.5.13 defect: the client
 * certificate chain and key it loads into a context are never freed (tls_g.c, tlsg_ctx_init;
 * tests/lsan.supp). Changed certificate files take effect after a restart. */
#define TLS_CACHE_MAX 64
static struct {
	const struct cfg_auth_provider *p;
	void *ctx;
} tls_cache[TLS_CACHE_MAX];
static pthread_mutex_t tls_mu = PTHREAD_MUTEX_INITIALIZER;

static int new_ctx(LDAP *ld, const struct cfg_auth_provider *p)
{
	int zero = 0, rc;

	rc = p->cert_validation ? set_ca(ld) : LDAP_OPT_SUCCESS;
	if (rc == LDAP_OPT_SUCCESS && *p->tls_certificate_path)
		rc = ldap_set_option(ld, LDAP_OPT_X_TLS_CERTFILE, p->tls_certificate_path);
	if (rc == LDAP_OPT_SUCCESS && *p->tls_key_path)
		rc = ldap_set_option(ld, LDAP_OPT_X_TLS_KEYFILE, p->tls_key_path);
	if (rc == LDAP_OPT_SUCCESS)
		rc = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
	return rc;
}

static int set_tls(LDAP *ld, const struct cfg_auth_provider *p, struct err *err)
{
	int req = p->cert_validation ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER, rc;
	size_t i;

	/* per handle as well: libldap checks the host name by the handle's setting */
	rc = ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &req);
	pthread_mutex_lock(&tls_mu);
	for (i = 0; i < TLS_CACHE_MAX && tls_cache[i].p && tls_cache[i].p != p; i++)
		;
	if (rc == LDAP_OPT_SUCCESS && i < TLS_CACHE_MAX && tls_cache[i].p == p) {
		rc = ldap_set_option(ld, LDAP_OPT_X_TLS_CTX, tls_cache[i].ctx);
	} else if (rc == LDAP_OPT_SUCCESS) {
		rc = new_ctx(ld, p);
		void *ctx = NULL;
		if (rc == LDAP_OPT_SUCCESS && i < TLS_CACHE_MAX &&
		    ldap_get_option(ld, LDAP_OPT_X_TLS_CTX, &ctx) == LDAP_OPT_SUCCESS && ctx) {
			tls_cache[i].p = p;
			tls_cache[i].ctx = ctx;   /* our reference, kept for the process */
		}
	}
	pthread_mutex_unlock(&tls_mu);
	if (rc != LDAP_OPT_SUCCESS)
		return err_set(err, -EINVAL, "cannot set up TLS (client certificate '%s' / key '%s' "
			       "readable?)", p->tls_certificate_path, p->tls_key_path);
	return 0;
}

/* A connected handle, bound as dn (service account when dn is bind_user). */
static int bind_as(LDAP *ld, const char *dn, const char *password, struct err *err,
		   const char *what)
{
	struct berval cred = { strlen(password), (char *)password };
	int rc = ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);

	return rc == LDAP_SUCCESS ? 0 : ldap_fail(ld, rc, err, what);
}

static int connect_service(const struct cfg_auth_provider *p, LDAP **ret, struct err *err)
{
	struct timeval net = { LDAP_NET_TIMEOUT_S, 0 }, op = { LDAP_OP_TIMEOUT_S, 0 };
	int v3 = LDAP_VERSION3, rc, r;
	LDAP *ld = NULL;

	if (strncasecmp(p->url, "ldap://", 7) && strncasecmp(p->url, "ldaps://", 8))
		return err_set(err, -EINVAL, "url must start with ldap:// or ldaps://");
	rc = ldap_initialize(&ld, p->url);
	if (rc != LDAP_SUCCESS)
		return ldap_fail(NULL, rc, err, "bad url");
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &net);
	ldap_set_option(ld, LDAP_OPT_TIMEOUT, &op);
	if ((r = set_tls(ld, p, err)) < 0)
		goto fail;
	if (p->start_tls && (rc = ldap_start_tls_s(ld, NULL, NULL)) != LDAP_SUCCESS) {
		r = ldap_fail(ld, rc, err, p->cert_validation ? "StartTLS failed (certificate not "
			      "trusted? CA from the system store or LDAPTLS_CACERT)" : "StartTLS failed");
		if (r == -EIO)
			r = -EHOSTUNREACH;
		goto fail;
	}
	if ((r = bind_as(ld, p->bind_user, p->bind_pass, err, "service account bind")) < 0) {
		if (r == -EACCES)
			r = -EIO; /* a wrong bind_pass is not the signing-in user's mistake */
		if (r == -EHOSTUNREACH && (p->start_tls || !strncasecmp(p->url, "ldaps", 5)))
			err_prefix(err, "server down or TLS refused (server certificate not trusted: CA "
				   "from the system store or LDAPTLS_CACERT; client certificate missing "
				   "or not accepted)");
		goto fail;
	}
	*ret = ld;
	return 0;
fail:
	ldap_unbind_ext_s(ld, NULL, NULL);
	return r;
}

char *ldap_login_filter(const char *tmpl, const char *login)
{
	static const char key[] = "{{login_identifier}}";
	struct buf b;
	const char *p = tmpl, *hit;

	buf_init(&b, LDAP_FILTER_MAX);
	while ((hit = strstr(p, key))) {
		if (buf_append(&b, p, (size_t)(hit - p)) < 0)
			goto fail;
		/* RFC 4515 3: * ( ) \ NUL must be escaped; bytes above 0x7f are escaped too, as
		 * go-ldap's EscapeFilter does */
		for (const unsigned char *s = (const unsigned char *)login; *s; s++) {
			int r = (*s > 0x7f || strchr("*()\\", *s)) ? buf_printf(&b, "\\%02x", *s) :
								      buf_append(&b, s, 1);
			if (r < 0)
				goto fail;
		}
		p = hit + sizeof(key) - 1;
	}
	if (buf_puts(&b, p) < 0)
		goto fail;
	return buf_detach(&b);
fail:
	buf_release(&b);
	return NULL;
}

/* The first value of attr as a string ("" when absent). */
static char *first_value(LDAP *ld, LDAPMessage *e, const char *attr)
{
	struct berval **v = *attr ? ldap_get_values_len(ld, e, attr) : NULL;
	char *s = v && v[0] ? strndup(v[0]->bv_val, v[0]->bv_len) : strdup("");

	ldap_value_free_len(v);
	return s;
}

/* Admin when any value of the memberof attribute is the admin group's DN. */
static bool member_of(LDAP *ld, LDAPMessage *e, const struct cfg_auth_provider *p)
{
	struct berval **v;
	bool hit = false;

	if (!*p->admin_group || !*p->field_map.memberof)
		return false;
	v = ldap_get_values_len(ld, e, p->field_map.memberof);
	for (size_t i = 0; v && v[i] && !hit; i++) {
		char *dn = strndup(v[i]->bv_val, v[i]->bv_len);
		hit = dn && ldap_dn_equal(dn, p->admin_group);
		free(dn);
	}
	ldap_value_free_len(v);
	return hit;
}

static int map_entry(LDAP *ld, LDAPMessage *e, const struct cfg_auth_provider *p,
		     struct ext_user *u)
{
	const struct cfg_field_map *f = &p->field_map;

	memset(u, 0, sizeof(*u));
	u->identifier = first_value(ld, e, f->user_identifier);
	u->email = first_value(ld, e, f->email);
	u->firstname = first_value(ld, e, f->firstname);
	u->lastname = first_value(ld, e, f->lastname);
	u->phone = first_value(ld, e, f->phone);
	u->department = first_value(ld, e, f->department);
	if (!u->identifier || !u->email || !u->firstname || !u->lastname || !u->phone ||
	    !u->department) {
		ext_user_release(u);
		return -ENOMEM;
	}
	for (char *c = u->email; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	/* with a memberof attribute configured the flag is always meaningful (auth_ldap.go:132) */
	u->admin_info_available = *f->memberof != '\0';
	u->is_admin = member_of(ld, e, p);
	int r = ext_user_sanitize(u);
	if (r < 0)
		ext_user_release(u);
	return r;
}

/* The attributes every search asks for (ldap_utils.go:101-124). */
static void search_attrs(const struct cfg_auth_provider *p, char *attrs[9])
{
	const char *want[] = { p->field_map.user_identifier, p->field_map.email,
			       p->field_map.firstname, p->field_map.lastname, p->field_map.phone,
			       p->field_map.department, p->field_map.memberof };
	size_t n = 0;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		bool dup = !*want[i];
		for (size_t j = 0; j < n && !dup; j++)
			dup = !strcasecmp(attrs[j], want[i]);
		if (!dup)
			attrs[n++] = (char *)want[i];
	}
	attrs[n] = NULL;
}

static int search(LDAP *ld, const struct cfg_auth_provider *p, const char *filter, int limit,
		  LDAPMessage **res, struct err *err)
{
	struct timeval tv = { LDAP_OP_TIMEOUT_S, 0 };
	char *attrs[9];
	int rc;

	search_attrs(p, attrs);
	rc = ldap_search_ext_s(ld, p->base_dn, LDAP_SCOPE_SUBTREE, filter, attrs, 0, NULL, NULL,
			       &tv, limit, res);
	if (rc == LDAP_SIZELIMIT_EXCEEDED && limit)
		return err_set(err, -ENOTUNIQ, "the login filter matches more than one entry");
	if (rc != LDAP_SUCCESS) {
		ldap_msgfree(*res);
		*res = NULL;
		return ldap_fail(ld, rc, err, "search failed");
	}
	return 0;
}

int ldap_login(const struct cfg_auth_provider *p, const char *login, const char *password,
	       struct ext_user *ret, struct err *err)
{
	LDAP *ld = NULL;
	LDAPMessage *res = NULL, *e;
	char *filter = NULL, *dn = NULL;
	int r, n;

	if (!login || !*login || !password || !*password)
		return err_set(err, -EACCES, "empty login name or password");
	filter = ldap_login_filter(p->login_filter, login);
	if (!filter)
		return err_set(err, -ENOMEM, "out of memory");
	if ((r = connect_service(p, &ld, err)) < 0)
		goto out;
	if ((r = search(ld, p, filter, 2, &res, err)) < 0)
		goto out;
	n = ldap_count_entries(ld, res);
	if (n != 1) {
		r = n == 0 ? err_set(err, -ENOENT, "no directory entry for this login") :
			     err_set(err, -ENOTUNIQ, "the login filter matches %d entries", n);
		goto out;
	}
	e = ldap_first_entry(ld, res);
	dn = ldap_get_dn(ld, e);
	if (!dn) {
		r = err_set(err, -EIO, "entry without DN");
		goto out;
	}
	/* map before the user bind: the user may not be allowed to read their own entry */
	if ((r = map_entry(ld, e, p, ret)) < 0) {
		err_set(err, r, r == -EINVAL ? "entry has no usable '%s' (field_map.user_identifier)" :
			"out of memory", p->field_map.user_identifier);
		goto out;
	}
	r = bind_as(ld, dn, password, err, "user bind");
	if (r < 0)
		ext_user_release(ret);
out:
	ldap_memfree(dn);
	ldap_msgfree(res);
	if (ld)
		ldap_unbind_ext_s(ld, NULL, NULL);
	free(filter);
	return r;
}

/* One page of a paged search (RFC 2696): the entries in *res, the server's cookie for the
 * next page in *cookie (empty at the end, or when the server ignores the control, which it
 * may: the control is not critical). */
static int search_page(LDAP *ld, const struct cfg_auth_provider *p, const char *filter,
		       struct berval *cookie, LDAPMessage **res, struct err *err)
{
	struct timeval tv = { LDAP_OP_TIMEOUT_S, 0 };
	LDAPControl *page = NULL, *ctrls[2] = { NULL, NULL }, **got = NULL, *resp;
	char *attrs[9];
	int rc, code = LDAP_SUCCESS;
	ber_int_t total;

	search_attrs(p, attrs);
	rc = ldap_create_page_control(ld, LDAP_SYNC_PAGE_SIZE, cookie, 0, &page);
	if (rc != LDAP_SUCCESS)
		return ldap_fail(ld, rc, err, "paged search");
	ctrls[0] = page;
	rc = ldap_search_ext_s(ld, p->base_dn, LDAP_SCOPE_SUBTREE, filter, attrs, 0, ctrls, NULL,
			       &tv, 0, res);
	ldap_control_free(page);
	ber_memfree(cookie->bv_val);
	cookie->bv_val = NULL;
	cookie->bv_len = 0;
	if (rc == LDAP_SUCCESS)
		rc = ldap_parse_result(ld, *res, &code, NULL, NULL, NULL, &got, 0);
	if (rc == LDAP_SUCCESS)
		rc = code;
	if (rc == LDAP_SUCCESS &&
	    (resp = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, got, NULL)) != NULL)
		rc = ldap_parse_pageresponse_control(ld, resp, &total, cookie);
	ldap_controls_free(got);
	if (rc != LDAP_SUCCESS) {
		ldap_msgfree(*res);
		*res = NULL;
		return ldap_fail(ld, rc, err, "search failed");
	}
	return 0;
}

/* Appends the entries of res to *v (n used, *cap allocated); entries without a usable
 * identifier are counted in *skipped. */
static int collect_entries(LDAP *ld, LDAPMessage *res, const struct cfg_auth_provider *p,
			   struct ext_user **v, size_t *n, size_t *cap, size_t *skipped,
			   struct err *err)
{
	for (LDAPMessage *e = ldap_first_entry(ld, res); e; e = ldap_next_entry(ld, e)) {
		int r;

		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 64;
			struct ext_user *nv = realloc(*v, nc * sizeof(*nv));
			if (!nv)
				return err_set(err, -ENOMEM, "out of memory");
			*v = nv;
			*cap = nc;
		}
		memset(&(*v)[*n], 0, sizeof(**v));
		r = map_entry(ld, e, p, &(*v)[*n]);
		if (r == -EINVAL) {
			(*skipped)++;
			continue;
		}
		if (r < 0)
			return err_set(err, r, "out of memory");
		(*n)++;
	}
	return 0;
}

/* The sync reads the directory in pages: a server with a size limit (Active Directory answers
 * at most MaxPageSize = 1000 entries to a plain search) still gives every user. wg-portal's
 * plain search (internal/ldap.go LdapFindAllUsers) fails there. */
int ldap_search_users(const struct cfg_auth_provider *p, const char *filter,
		      struct ext_user **ret, size_t *ret_n, size_t *ret_skipped, struct err *err)
{
	LDAP *ld = NULL;
	LDAPMessage *res = NULL;
	struct ext_user *v = NULL;
	struct berval cookie = { 0, NULL };
	size_t n = 0, cap = 0, skipped = 0;
	int r;

	if ((r = connect_service(p, &ld, err)) < 0)
		return r;
	do {
		r = search_page(ld, p, filter && *filter ? filter : "(objectClass=*)", &cookie,
				&res, err);
		if (r == 0)
			r = collect_entries(ld, res, p, &v, &n, &cap, &skipped, err);
		ldap_msgfree(res);
		res = NULL;
	} while (r == 0 && cookie.bv_len > 0);
	ber_memfree(cookie.bv_val);
	if (r == 0 && !v && !(v = calloc(1, sizeof(*v))))
		r = err_set(err, -ENOMEM, "out of memory");
	if (r == 0) {
		*ret = v;
		*ret_n = n;
		*ret_skipped = skipped;
		v = NULL;
	}
	if (v)
		ldap_users_free(v, n);
	ldap_unbind_ext_s(ld, NULL, NULL);
	return r;
}

void ldap_users_free(struct ext_user *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		ext_user_release(&v[i]);
	free(v);
}

int ldap_dn_check(const char *dn, struct err *err)
{
	LDAPDN parsed = NULL;

	if (!dn || !*dn)
		return 0;
	if (ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		return err_set(err, -EINVAL, "invalid DN '%.200s'", dn);
	ldap_dnfree(parsed);
	return 0;
}

bool ldap_dn_equal(const char *a, const char *b)
{
	LDAPDN da = NULL, db = NULL;
	bool eq = false;
	size_t i, j;

	if (ldap_str2dn(a, &da, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS ||
	    ldap_str2dn(b, &db, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		goto out;
	for (i = 0; da && db && da[i] && db[i]; i++) {
		for (j = 0; da[i][j] && db[i][j]; j++) {
			LDAPAVA *x = da[i][j], *y = db[i][j];
			if (x->la_attr.bv_len != y->la_attr.bv_len ||
			    strncasecmp(x->la_attr.bv_val, y->la_attr.bv_val, x->la_attr.bv_len) ||
			    x->la_value.bv_len != y->la_value.bv_len ||
			    memcmp(x->la_value.bv_val, y->la_value.bv_val, x->la_value.bv_len))
				goto out;
		}
		if (da[i][j] || db[i][j])
			goto out;
	}
	eq = (!da || !da[i]) && (!db || !db[i]);
out:
	ldap_dnfree(da);
	ldap_dnfree(db);
	return eq;
}

/* SPDX-License-Identifier: MIT */
/*
 * Loading and rendering of the mail templates (see templates.h): built-ins, the templates_path
 * directory (created and filled like wg-portal does), the start-up dry run that turns template
 * mistakes into start-up errors instead of failed mails.
 */
#include "mail/templates.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/gotpl.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/strv.h"

struct mail_templates {
	struct gotpl_set *text, *html;
};

static const struct {
	const char *name;
	const char *data;
} builtins[] = {
	{ MAIL_TPL_ATTACHMENT_TXT, (const char *)mail_tpl_att_txt },
	{ MAIL_TPL_ATTACHMENT_HTML, (const char *)mail_tpl_att_html },
	{ MAIL_TPL_LINK_TXT, (const char *)mail_tpl_link_txt },
	{ MAIL_TPL_LINK_HTML, (const char *)mail_tpl_link_html },
};
#define N_BUILTINS (sizeof(builtins) / sizeof(builtins[0]))

struct mail_templates *mail_templates_free(struct mail_templates *t)
{
	if (t) {
		gotpl_set_free(t->text);
		gotpl_set_free(t->html);
		free(t);
	}
	return NULL;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls > lx && strcmp(s + ls - lx, suffix) == 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .gotpl and .gohtml regular files of dir, sorted (Go's filepath.Glob order). */
static int list_templates(const char *dir, struct strv *ret, struct err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int r = 0;

	if (!d)
		return err_set(err, -errno, "mail.templates_path '%s': %s", dir, strerror(errno));
	while (r == 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.' ||
		    (!has_suffix(e->d_name, ".gotpl") && !has_suffix(e->d_name, ".gohtml")))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode))
			continue;
		r = strv_push(ret, e->d_name);
	}
	closedir(d);
	if (r < 0)
		return err_set(err, r, "out of memory");
	if (ret->n)
		qsort(ret->v, ret->n, sizeof(*ret->v), cmp_names);
	return 0;
}

/* An empty directory gets the built-in files (wg-portal's copyEmbeddedTemplates). */
static int write_builtins(const char *dir, struct err *err)
{
	for (size_t i = 0; i < N_BUILTINS; i++) {
		char path[4096];
		size_t len = strlen(builtins[i].data);
		snprintf(path, sizeof(path), "%s/%s", dir, builtins[i].name);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0)
			return err_set(err, -errno, "mail.templates_path: cannot write '%s': %s", path,
				       strerror(errno));
		ssize_t n = write(fd, builtins[i].data, len);
		int saved = errno;
		close(fd);
		if (n != (ssize_t)len)
			return err_set(err, n < 0 ? -saved : -EIO, "mail.templates_path: cannot write "
				       "'%s'", path);
	}
	return 0;
}

static int read_file(const char *path, struct buf *out, struct err *err)
{
	char chunk[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int r = 0;

	if (fd < 0)
		return err_set(err, -errno, "cannot read '%s': %s", path, strerror(errno));
	while (r == 0 && (n = read(fd, chunk, sizeof(chunk))) > 0)
		r = buf_append(out, chunk, (size_t)n);
	close(fd);
	if (r == -E2BIG)
		return err_set(err, r, "'%s' is larger than %d bytes", path, GOTPL_TEXT_MAX);
	return r < 0 ? err_set(err, r, "out of memory") : 0;
}

static int load_dir(struct mail_templates *t, const char *dir, struct err *err)
{
	struct strv names = STRV_INIT;
	int r;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return err_set(err, -errno, "mail.templates_path '%s': cannot create: %s", dir,
			       strerror(errno));
	r = list_templates(dir, &names, err);
	if (r == 0 && names.n == 0) {
		r = write_builtins(dir, err);
		if (r == 0)
			r = list_templates(dir, &names, err);
	}
	for (size_t i = 0; r == 0 && i < names.n; i++) {
		char path[4096];
		struct buf text;
		bool html = has_suffix(names.v[i], ".gohtml");
		snprintf(path, sizeof(path), "%s/%s", dir, names.v[i]);
		buf_init(&text, GOTPL_TEXT_MAX);
		r = read_file(path, &text, err);
		if (r == 0)
			r = gotpl_parse(html ? t->html : t->text, names.v[i], text.p ? text.p : "",
					text.len, err);
		buf_release(&text);
		if (r < 0)
			err_prefix(err, "mail.templates_path '%s'", dir);
	}
	strv_release(&names);
	return r;
}

/* Renders both mails with sample data so execution errors show at start-up. */
static int dry_run(const struct mail_templates *t, struct err *err)
{
	json_t *data = json_pack("{s:{s:s,s:s,s:s,s:s},s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s}}",
				 "User", "Identifier", "user@example.com", "Email",
				 "user@example.com", "Firstname", "Ada", "Lastname", "Lovelace",
				 "PortalUrl", "https://vpn.example.com", "PortalName",
				 "WireGuard Portal", "ConfigFileName", "wg0.conf", "QrcodePngName",
				 "WireGuardQRCode.png", "Link", "https://vpn.example.com/#/peers",
				 "Peer", "Identifier", "x", "DisplayName", "x", "GetConfigFileName",
				 "wg0.conf");
	struct buf a, b;
	int r;

	if (!data)
		return err_set(err, -ENOMEM, "out of memory");
	buf_init(&a, GOTPL_OUT_MAX);
	buf_init(&b, GOTPL_OUT_MAX);
	r = mail_templates_render(t, false, data, &a, &b, err);
	if (r == 0)
		r = mail_templates_render(t, true, data, &a, &b, err);
	buf_release(&a);
	buf_release(&b);
	json_decref(data);
	return r;
}

int mail_templates_load(const char *dir, struct mail_templates **ret, struct err *err)
{
	struct mail_templates *t = calloc(1, sizeof(*t));
	int r = 0;

	if (!t || !(t->text = gotpl_set_new(false)) || !(t->html = gotpl_set_new(true))) {
		mail_templates_free(t);
		return err_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; r == 0 && i < N_BUILTINS; i++)
		r = gotpl_parse(has_suffix(builtins[i].name, ".gohtml") ? t->html : t->text,
				builtins[i].name, builtins[i].data, strlen(builtins[i].data), err);
	if (r == 0 && dir && *dir)
		r = load_dir(t, dir, err);
	if (r == 0) {
		r = dry_run(t, err);
		if (r < 0)
			err_prefix(err, "mail template");
	}
	if (r < 0) {
		mail_templates_free(t);
		return r;
	}
	*ret = t;
	return 0;
}

int mail_templates_render(const struct mail_templates *t, bool link, const json_t *data,
			  struct buf *text, struct buf *html, struct err *err)
{
	int r = gotpl_exec(t->text, link ? MAIL_TPL_LINK_TXT : MAIL_TPL_ATTACHMENT_TXT, data, text,
			   err);
	if (r == 0)
		r = gotpl_exec(t->html, link ? MAIL_TPL_LINK_HTML : MAIL_TPL_ATTACHMENT_HTML, data,
			       html, err);
	return r;
}

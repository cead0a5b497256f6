/* SPDX-License-Identifier: MIT */
/* Bounded in-place CBOR reading (auth/cbor.h). */
#include "auth/cbor.h"

#include <errno.h>
#include <string.h>

int cbor_next(struct cbor *c, struct cbor_item *it)
{
	uint8_t ib, ai;
	uint64_t v = 0;
	size_t extra;

	if (c->p >= c->end)
		return -EINVAL;
	ib = *c->p++;
	it->type = (enum cbor_type)(ib >> 5);
	ai = ib & 0x1f;
	it->data = NULL;
	if (ai < 24) {
		v = ai;
	} else if (ai <= 27) {
		extra = (size_t)1 << (ai - 24);
		if ((size_t)(c->end - c->p) < extra)
			return -EINVAL;
		for (size_t i = 0; i < extra; i++)
			v = v << 8 | *c->p++;
	} else {
		return -EINVAL; /* 28-30 reserved, 31 indefinite length / break */
	}
	it->val = v;
	if (it->type == CBOR_BYTES || it->type == CBOR_TEXT) {
		if (v > (uint64_t)(c->end - c->p))
			return -EINVAL;
		it->data = c->p;
		c->p += v;
	}
	return 0;
}

static int skip_depth(struct cbor *c, int depth)
{
	struct cbor_item it;
	uint64_t n;

	if (depth > CBOR_DEPTH_MAX || cbor_next(c, &it) < 0)
		return -EINVAL;
	switch (it.type) {
	case CBOR_ARRAY:
	case CBOR_MAP:
		/* every member takes at least one byte: a count beyond what is left is a lie */
		n = it.val;
		if (n > (uint64_t)(c->end - c->p) || (it.type == CBOR_MAP && n > (uint64_t)(c->end - c->p) / 2))
			return -EINVAL;
		if (it.type == CBOR_MAP)
			n *= 2;
		for (uint64_t i = 0; i < n; i++)
			if (skip_depth(c, depth + 1) < 0)
				return -EINVAL;
		return 0;
	case CBOR_TAG:
		return skip_depth(c, depth + 1);
	default:
		return 0;
	}
}

int cbor_skip(struct cbor *c)
{
	return skip_depth(c, 0);
}

bool cbor_int(const struct cbor_item *it, int64_t *ret)
{
	if (it->val > (uint64_t)INT64_MAX)
		return false;
	if (it->type == CBOR_UINT)
		*ret = (int64_t)it->val;
	else if (it->type == CBOR_NEGINT)
		*ret = -1 - (int64_t)it->val;
	else
		return false;
	return true;
}

bool cbor_text_is(const struct cbor_item *it, const char *s)
{
	size_t n = strlen(s);

	return it->type == CBOR_TEXT && it->val == n && memcmp(it->data, s, n) == 0;
}

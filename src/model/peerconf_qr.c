/* SPDX-License-Identifier: MIT */
/*
 * QR code PNG of a peer config (spec 4.5): libqrencode in byte mode with ECC level L, drawn as
 * a 1-bit greyscale PNG by libpng into memory, 4 pixels per module and an 8-pixel white margin.
 */
#include "model/peerconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <qrencode.h>

#include "util/buf.h"
#include "util/err.h"

#define QR_PX_PER_MODULE 4
#define QR_MARGIN_PX 8
#define QR_PNG_MAX (4 * 1024 * 1024)

static void png_write_cb(png_structp png, png_bytep data, png_size_t len)
{
	struct buf *b = png_get_io_ptr(png);

	if (buf_append(b, data, len) < 0)
		png_error(png, "png too large");
}

static void png_flush_cb(png_structp png)
{
	(void) png;
}

/* Separate function so that nothing but its arguments lives across setjmp/longjmp. */
static int write_png(const QRcode *qr, struct buf *out)
{
	png_structp png;
	png_infop info;
	size_t side = (size_t)qr->width * QR_PX_PER_MODULE + 2 * QR_MARGIN_PX;
	size_t row_bytes = (side + 7) / 8;
	unsigned char *volatile row = NULL;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (!png)
		return -ENOMEM;
	info = png_create_info_struct(png);
	if (!info) {
		png_destroy_write_struct(&png, NULL);
		return -ENOMEM;
	}
	if (setjmp(png_jmpbuf(png))) {
		free(row);
		png_destroy_write_struct(&png, &info);
		return -ENOMEM;
	}
	row = malloc(row_bytes);
	if (!row)
		png_error(png, "out of memory");
	png_set_write_fn(png, out, png_write_cb, png_flush_cb);
	png_set_IHDR(png, info, (png_uint_32)side, (png_uint_32)side, 1, PNG_COLOR_TYPE_GRAY,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (size_t y = 0; y < side; y++) {
		/* 1-bit grey: bit set = white */
		memset(row, 0xff, row_bytes);
		if (y >= QR_MARGIN_PX && y < side - QR_MARGIN_PX) {
			size_t my = (y - QR_MARGIN_PX) / QR_PX_PER_MODULE;

			for (size_t x = QR_MARGIN_PX; x < side - QR_MARGIN_PX; x++) {
				size_t mx = (x - QR_MARGIN_PX) / QR_PX_PER_MODULE;

				if (qr->data[my * (size_t)qr->width + mx] & 1)
					row[x / 8] &= (unsigned char)~(0x80u >> (x % 8));
			}
		}
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	free(row);
	png_destroy_write_struct(&png, &info);
	return 0;
}

int peerconf_qr_png(const char *text, unsigned char **ret, size_t *ret_len, struct err *err)
{
	QRcode *qr;
	struct buf b;
	int r;

	/* version 0 = smallest that fits; byte mode keeps the text exact */
	errno = 0;
	qr = QRcode_encodeData((int)strlen(text), (const unsigned char *)text, 0, QR_ECLEVEL_L);
	if (!qr) {
		if (errno == ERANGE || errno == EINVAL)
			return err_set(err, -E2BIG, "configuration too large for a QR code");
		return err_set(err, -ENOMEM, "out of memory encoding the QR code");
	}
	buf_init(&b, QR_PNG_MAX);
	r = write_png(qr, &b);
	/* the module matrix encodes the private key */
	memset(qr->data, 0, (size_t)qr->width * (size_t)qr->width);
	QRcode_free(qr);
	if (r < 0) {
		buf_release(&b);
		return err_set(err, r, "cannot write the QR code PNG");
	}
	*ret_len = b.len;
	*ret = (unsigned char *)buf_detach(&b);
	if (!*ret)
		return err_set(err, -ENOMEM, "out of memory");
	return 0;
}

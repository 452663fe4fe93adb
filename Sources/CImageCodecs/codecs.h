// Feint's bridge to libpng, libjpeg(-turbo) and zlib (Debian: libpng-dev, libjpeg-dev,
// zlib1g-dev). Both image libraries report errors by longjmp, which Swift cannot catch, so the
// decoders live here as small C functions that turn every failure into a message.
#ifndef FEINT_CODECS_H
#define FEINT_CODECS_H

#include <png.h>
#include <jpeglib.h>
#include <jerror.h>
#include <zlib.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/// A decoded image: height × width × channels samples in [0, 1], row-major, interleaved.
typedef struct {
    int width, height, channels, bitDepth;
    float *pixels;   // malloc'd; release with feint_image_free
} feint_image;

static inline void feint_image_free(feint_image *image) { free(image->pixels); image->pixels = NULL; }

// ---- PNG ------------------------------------------------------------------------------------

typedef struct { const uint8_t *data; size_t size, offset; } feint_png_source;
typedef struct { jmp_buf jump; char *message; size_t capacity; } feint_png_error;

static void feint_png_read(png_structp png, png_bytep out, png_size_t count) {
    feint_png_source *src = (feint_png_source *)png_get_io_ptr(png);
    if (src->size - src->offset < count) png_error(png, "file is truncated");
    memcpy(out, src->data + src->offset, count);
    src->offset += count;
}

static void feint_png_fail(png_structp png, png_const_charp message) {
    feint_png_error *err = (feint_png_error *)png_get_error_ptr(png);
    snprintf(err->message, err->capacity, "%s", message);
    longjmp(err->jump, 1);
}

static void feint_png_warn(png_structp png, png_const_charp message) { (void)png; (void)message; }

/// Decodes a PNG held in memory (any bit depth and colour type; palette and low-bit gray are
/// expanded, 16-bit samples kept at full precision). Returns 0 on success, else writes `message`.
static inline int feint_png_decode(const uint8_t *data, size_t size, feint_image *out,
                                   char *message, size_t capacity) {
    memset(out, 0, sizeof *out);
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) { snprintf(message, capacity, "not a PNG file"); return 1; }
    feint_png_error err = { .message = message, .capacity = capacity };
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &err, feint_png_fail, feint_png_warn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) { snprintf(message, capacity, "out of memory"); png_destroy_read_struct(&png, &info, NULL); return 1; }
    png_bytep *volatile rows = NULL;
    uint16_t *volatile buffer = NULL;
    if (setjmp(err.jump)) {
        free(rows); free(buffer); feint_image_free(out);
        png_destroy_read_struct(&png, &info, NULL);
        return 1;
    }
    feint_png_source src = { data, size, 0 };
    png_set_read_fn(png, &src, feint_png_read);
    png_set_user_limits(png, 1 << 14, 1 << 14);
    png_read_info(png, info);
    int colorType = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
    if (colorType == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (colorType == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (depth == 16) png_set_swap(png);   // host order (little-endian) for 16-bit samples
    png_read_update_info(png, info);
    int w = (int)png_get_image_width(png, info), h = (int)png_get_image_height(png, info);
    int channels = png_get_channels(png, info), outDepth = png_get_bit_depth(png, info);
    size_t rowBytes = png_get_rowbytes(png, info);
    if ((size_t)w * (size_t)h * (size_t)channels > ((size_t)1 << 28)) png_error(png, "image is too large (over 2^28 samples)");
    buffer = (uint16_t *)malloc(rowBytes * (size_t)h);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)h);
    out->pixels = (float *)malloc(sizeof(float) * (size_t)w * (size_t)h * (size_t)channels);
    if (!buffer || !rows || !out->pixels) png_error(png, "out of memory");
    for (int r = 0; r < h; r++) rows[r] = (png_bytep)buffer + rowBytes * (size_t)r;
    png_read_image(png, rows);
    size_t n = (size_t)w * (size_t)h * (size_t)channels;
    if (outDepth == 16) {
        for (size_t i = 0; i < n; i++) out->pixels[i] = ((uint16_t *)buffer)[i] / 65535.0f;
    } else {
        for (size_t i = 0; i < n; i++) out->pixels[i] = ((uint8_t *)buffer)[i] / 255.0f;
    }
    out->width = w; out->height = h; out->channels = channels; out->bitDepth = outDepth;
    free(rows); free(buffer);
    png_destroy_read_struct(&png, &info, NULL);
    return 0;
}

/// Writes 8-bit gray (1), gray+alpha (2), RGB (3) or RGBA (4) pixels to `path` losslessly.
/// Returns 0 on success, else writes `message`.
static inline int feint_png_write(const char *path, const uint8_t *pixels, int width, int height,
                                  int channels, char *message, size_t capacity) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = (png_uint_32)width;
    image.height = (png_uint_32)height;
    image.format = channels == 1 ? PNG_FORMAT_GRAY : channels == 2 ? PNG_FORMAT_GA
                 : channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_RGBA;
    if (!png_image_write_to_file(&image, path, 0, pixels, 0, NULL)) {
        snprintf(message, capacity, "%s", image.message);
        return 1;
    }
    return 0;
}

// ---- JPEG -----------------------------------------------------------------------------------

typedef struct { struct jpeg_error_mgr base; jmp_buf jump; } feint_jpeg_error;

static void feint_jpeg_fail(j_common_ptr cinfo) { longjmp(((feint_jpeg_error *)cinfo->err)->jump, 1); }

// libjpeg prints warnings (corrupt or truncated data, which it patches over) to stderr by default.
// A library must not print, and a damaged image should be reported, so a warning fails the decode
// with its message, except those that leave the pixels intact and that viewers ignore (stray
// bytes before a marker, as many cameras write, an unknown JFIF revision or Adobe transform code,
// a bad ICC profile marker); trace messages (level > 0) are ignored.
static void feint_jpeg_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return;
    switch (cinfo->err->msg_code) {
    case JWRN_EXTRANEOUS_DATA: case JWRN_JFIF_MAJOR: case JWRN_ADOBE_XFORM: case JWRN_BOGUS_ICC: return;
    default: longjmp(((feint_jpeg_error *)cinfo->err)->jump, 1);
    }
}

/// Decodes a baseline or progressive JPEG held in memory to 8-bit gray or RGB.
/// Returns 0 on success, else writes `message`.
static inline int feint_jpeg_decode(const uint8_t *data, size_t size, feint_image *out,
                                    char *message, size_t capacity) {
    memset(out, 0, sizeof *out);
    struct jpeg_decompress_struct cinfo;
    feint_jpeg_error err;
    uint8_t *volatile row = NULL;
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = feint_jpeg_fail;
    err.base.emit_message = feint_jpeg_message;
    if (setjmp(err.jump)) {
        char text[JMSG_LENGTH_MAX];
        (*cinfo.err->format_message)((j_common_ptr)&cinfo, text);
        snprintf(message, capacity, "%s", text);
        free(row); feint_image_free(out);
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, (const unsigned char *)data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
        snprintf(message, capacity, "CMYK JPEG is not supported (convert it to RGB)");
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    cinfo.out_color_space = cinfo.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    int w = (int)cinfo.output_width, h = (int)cinfo.output_height, c = cinfo.output_components;
    if ((size_t)w * (size_t)h * (size_t)c > ((size_t)1 << 28)) {
        snprintf(message, capacity, "image is too large (over 2^28 samples)");
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    row = (uint8_t *)malloc((size_t)w * (size_t)c);
    out->pixels = (float *)malloc(sizeof(float) * (size_t)w * (size_t)h * (size_t)c);
    if (!row || !out->pixels) { snprintf(message, capacity, "out of memory"); free(row); feint_image_free(out); jpeg_destroy_decompress(&cinfo); return 1; }
    while (cinfo.output_scanline < cinfo.output_height) {
        size_t r = cinfo.output_scanline;
        JSAMPROW rows[1] = { row };
        jpeg_read_scanlines(&cinfo, rows, 1);
        for (size_t i = 0; i < (size_t)w * (size_t)c; i++) out->pixels[r * (size_t)w * (size_t)c + i] = row[i] / 255.0f;
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(row);
    out->width = w; out->height = h; out->channels = c; out->bitDepth = 8;
    return 0;
}

// ---- gzip -----------------------------------------------------------------------------------

/// Inflates gzip (or zlib) data into a malloc'd buffer of at most `limit` bytes.
/// Returns 0 on success, else writes `message`.
static inline int feint_gunzip(const uint8_t *data, size_t size, uint8_t **out, size_t *outSize,
                               size_t limit, char *message, size_t capacity) {
    *out = NULL; *outSize = 0;
    z_stream s;
    memset(&s, 0, sizeof s);
    if (inflateInit2(&s, 15 + 32) != Z_OK) { snprintf(message, capacity, "zlib initialisation failed"); return 1; }
    size_t cap = size * 4 + 1024, len = 0;
    uint8_t *buf = (uint8_t *)malloc(cap);
    s.next_in = (Bytef *)data;
    s.avail_in = (uInt)size;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        if (len == cap) {
            if (cap >= limit) { snprintf(message, capacity, "decompressed data exceeds %zu bytes", limit); free(buf); inflateEnd(&s); return 1; }
            cap = cap * 2 > limit ? limit : cap * 2;
            uint8_t *grown = (uint8_t *)realloc(buf, cap);
            if (!grown) { free(buf); inflateEnd(&s); snprintf(message, capacity, "out of memory"); return 1; }
            buf = grown;
        }
        s.next_out = buf + len;
        s.avail_out = (uInt)(cap - len);
        rc = inflate(&s, Z_NO_FLUSH);
        len = cap - s.avail_out;
        if (rc == Z_STREAM_END) break;
        if (rc != Z_OK) {
            snprintf(message, capacity, "%s", rc == Z_BUF_ERROR ? "gzip stream is truncated" : (s.msg ? s.msg : "corrupt gzip data"));
            free(buf); inflateEnd(&s);
            return 1;
        }
    }
    inflateEnd(&s);
    *out = buf; *outSize = len;
    return 0;
}

#endif

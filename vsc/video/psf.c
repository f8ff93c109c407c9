/*
 * PSF1/PSF2 parser (see vsc/video/psf.h).  Layouts from the kbd package's
 * documentation (psffontinfo, psf.h): PSF1 is a 4-byte header {0x36,
 * 0x04, mode, charsize} with 8-pixel-wide glyphs; PSF2 a 32-byte header
 * {magic 72 b5 4a 86, version, headersize, flags, length, charsize,
 * height, width}, all little-endian.
 */
#include "vsc/video/psf.h"

#include <errno.h>
#include <string.h>

#define PSF1_MODE512 0x01u
#define PSF1_MODEHASTAB 0x02u
#define PSF1_MODESEQ 0x04u
#define PSF2_HAS_UNICODE_TABLE 0x01u

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void map_identity(struct psf_font *f)
{
    uint32_t i;

    for (i = 0; i < 256; i++)
        f->map[i] = i < f->count ? (uint16_t)i : PSF_NO_GLYPH;
}

static void map_set(struct psf_font *f, uint32_t cp, uint32_t glyph)
{
    if (cp < 256 && f->map[cp] == PSF_NO_GLYPH)
        f->map[cp] = (uint16_t)glyph;
}

/* PSF1 table: per glyph u16 code points, 0xFFFE starts a sequence (whose
 * entries are skipped), 0xFFFF ends the glyph. */
static int table1(struct psf_font *f, const uint8_t *p, size_t n)
{
    size_t i = 0;
    uint32_t g = 0;
    int seq = 0;

    while (g < f->count) {
        uint32_t u;
        if (i + 2 > n)
            return -EINVAL;
        u = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8;
        i += 2;
        if (u == 0xFFFF) {
            g++;
            seq = 0;
        } else if (u == 0xFFFE) {
            seq = 1;
        } else if (!seq) {
            map_set(f, u, g);
        }
    }
    return 0;
}

/* PSF2 table: per glyph UTF-8 code points, 0xFE starts a sequence, 0xFF
 * ends the glyph. */
static int table2(struct psf_font *f, const uint8_t *p, size_t n)
{
    size_t i = 0;
    uint32_t g = 0;
    int seq = 0;

    while (g < f->count) {
        uint8_t b;
        uint32_t cp, more;
        if (i >= n)
            return -EINVAL;
        b = p[i++];
        if (b == 0xFF) {
            g++;
            seq = 0;
            continue;
        }
        if (b == 0xFE) {
            seq = 1;
            continue;
        }
        if (b < 0x80) {
            cp = b, more = 0;
        } else if ((b & 0xE0) == 0xC0) {
            cp = b & 0x1F, more = 1;
        } else if ((b & 0xF0) == 0xE0) {
            cp = b & 0x0F, more = 2;
        } else if ((b & 0xF8) == 0xF0) {
            cp = b & 0x07, more = 3;
        } else {
            return -EINVAL;
        }
        while (more--) {
            if (i >= n || (p[i] & 0xC0) != 0x80)
                return -EINVAL;
            cp = cp << 6 | (p[i++] & 0x3F);
        }
        if (!seq)
            map_set(f, cp, g);
    }
    return 0;
}

int psf_parse(const uint8_t *data, size_t len, struct psf_font *f)
{
    uint32_t hdr, flags = 0;
    uint64_t bytes;
    int has_table = 0, psf1 = 0;

    memset(f, 0, sizeof(*f));
    if (len == 0)
        return -ENOENT;
    if (len >= 4 && data[0] == 0x36 && data[1] == 0x04) {
        psf1 = 1;
        hdr = 4;
        f->count = (data[2] & PSF1_MODE512) ? 512 : 256;
        f->width = 8;
        f->height = data[3];
        has_table = (data[2] & (PSF1_MODEHASTAB | PSF1_MODESEQ)) != 0;
    } else if (len >= 32 && data[0] == 0x72 && data[1] == 0xB5 &&
               data[2] == 0x4A && data[3] == 0x86) {
        hdr = le32(data + 8);
        flags = le32(data + 12);
        f->count = le32(data + 16);
        f->charsize = le32(data + 20);
        f->height = le32(data + 24);
        f->width = le32(data + 28);
        has_table = (flags & PSF2_HAS_UNICODE_TABLE) != 0;
        if (le32(data + 4) != 0 || hdr < 32 || hdr > len)
            return -EINVAL;
    } else {
        return -EINVAL;
    }
    if (f->width == 0 || f->width > PSF_MAX_DIM || f->height == 0 ||
        f->height > PSF_MAX_DIM || f->count == 0 || f->count > PSF_MAX_GLYPHS)
        return -EINVAL;
    f->stride = (f->width + 7) / 8;
    if (psf1)
        f->charsize = f->stride * f->height;
    if (f->charsize != f->stride * f->height)
        return -EINVAL;
    bytes = (uint64_t)f->count * f->charsize;
    if (bytes > len - hdr)
        return -EINVAL;
    f->glyphs = data + hdr;
    memset(f->map, 0xFF, sizeof(f->map));
    if (has_table) {
        const uint8_t *t = data + hdr + bytes;
        size_t n = len - hdr - (size_t)bytes;
        if ((psf1 ? table1(f, t, n) : table2(f, t, n)) < 0)
            map_identity(f);
    } else {
        map_identity(f);
    }
    return 0;
}

const uint8_t *psf_glyph(const struct psf_font *f, uint32_t cp)
{
    uint32_t g = cp < 256 ? f->map[cp] : PSF_NO_GLYPH;

    if (g == PSF_NO_GLYPH || g >= f->count)
        g = f->map['?'];
    if (g == PSF_NO_GLYPH || g >= f->count)
        g = 0;
    return f->glyphs + (size_t)g * f->charsize;
}

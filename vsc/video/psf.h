/*
 * PC Screen Font (PSF1 and PSF2, the Linux console font formats that
 * Debian's kbd and console-setup packages ship) parser: validates the
 * header against the data, and maps code points 0..255 to glyphs through
 * the font's Unicode table when it has one.  Pure C, no allocation.
 */
#ifndef VSC_VIDEO_PSF_H
#define VSC_VIDEO_PSF_H

#include <stddef.h>
#include <stdint.h>

#define PSF_MAX_DIM 64u /* glyph width and height limit */
#define PSF_MAX_GLYPHS 65536u
#define PSF_NO_GLYPH 0xFFFFu

struct psf_font {
    const uint8_t *glyphs; /* count glyphs of charsize bytes */
    uint32_t count;
    uint32_t width, height; /* pixels */
    uint32_t stride;        /* bytes per glyph row: (width + 7) / 8 */
    uint32_t charsize;      /* bytes per glyph: stride * height */
    uint16_t map[256];      /* code point -> glyph, or PSF_NO_GLYPH */
};

/*
 * Parses data[0..len) (uncompressed).  The font keeps pointing into data.
 * Returns 0, -ENOENT (len 0: no font was built in) or -EINVAL (bad magic,
 * header or sizes, glyphs past the end, more than PSF_MAX_GLYPHS, or a
 * glyph larger than PSF_MAX_DIM).  A malformed Unicode table is ignored
 * (identity map) rather than refused.
 */
int psf_parse(const uint8_t *data, size_t len, struct psf_font *f);

/* The glyph bitmap for code point cp ('?' or glyph 0 when missing):
 * rows of f->stride bytes, most significant bit leftmost. */
const uint8_t *psf_glyph(const struct psf_font *f, uint32_t cp);

#endif /* VSC_VIDEO_PSF_H */

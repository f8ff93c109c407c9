/*
 * The console font built into the kit: vsc/video/mkfont writes
 * console_font_psf[] from a Debian console font at build time.
 */
#include "vsc/video/textcon.h"

extern const uint8_t console_font_psf[];
extern const uint32_t console_font_psf_len;

int textcon_builtin_font(struct psf_font *f)
{
    return psf_parse(console_font_psf, console_font_psf_len, f);
}

# Guest synthetic video VSC, and the drawing layer on top of it.
KIT_SRCS += vsc/video/synthvid.c vsc/video/gfx.c vsc/video/psf.c \
	vsc/video/textcon.c vsc/video/font_builtin.c vsc/video/screen.c

# The console font, generated at build time from a Debian console font
# (vsc/video/mkfont); the generated file lives under build/ only.
CONSOLE_FONT ?= Lat15-Fixed16.psf.gz
CONSOLE_FONT_C := $(BUILD)/gen/console_font.c
KIT_SRCS += $(CONSOLE_FONT_C)
$(CONSOLE_FONT_C): vsc/video/mkfont | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(call say,FONT,$@)vsc/video/mkfont $(CONSOLE_FONT) \
		$(ENLIGHT_CACHE)/fonts $@

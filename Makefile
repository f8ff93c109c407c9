# Enlight top-level Makefile (plain GNU make).
#
# Each folder contributes a fragment (module.mk, or tests/<kind>/<name>.mk)
# that appends to the source lists below; this file owns every rule.
# `make help` lists the targets.

.DEFAULT_GOAL := all
SHELL := /bin/bash

include mk/config.mk

# Quiet by default; make V=1 shows every command.
ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2);
endif

# Lists the fragments append to.
COMMON_SRCS :=       # pure C, built for guest, root and host
KIT_FORCE_SRCS :=    # guest objects linked into every image (entry, header)
KIT_SRCS :=          # guest kit library (archive)
ROOT_SRCS :=         # reference root side
APPS :=              # appliance names; APP_<name>_SRCS each
UNIT_TESTS :=        # tests/unit/test_<name>.c + UNIT_<name>_SRCS
LOOPBACK_TESTS :=    # tests/loopback/test_<name>.c + LOOPBACK_<name>_SRCS
FUZZ_TARGETS :=      # tests/fuzz/fuzz_<name>.c + FUZZ_<name>_SRCS
BENCH_PROGS :=       # host benchmark programs: BENCH_<name>_SRCS
EXTRA_ALL :=         # further targets `make all` builds

MK_PARTS := $(sort $(wildcard */module.mk */*/module.mk */*/*/module.mk \
                              tests/*/*.mk))
include $(MK_PARTS)

# ---------------------------------------------------------------------------
# Dependencies: scripts/deps installs packages and fills the cache.
$(DEPS_STAMP): scripts/deps
	@scripts/deps
	@mkdir -p $(@D) && touch $@

deps:
	@scripts/deps
	@mkdir -p $(BUILD) && touch $(DEPS_STAMP)

# ---------------------------------------------------------------------------
# Object naming: build/<flavour>/<source path>.o
guest_obj = $(patsubst %,$(BUILD)/guest/%.o,$(1))
root_obj  = $(patsubst %,$(BUILD)/root/%.o,$(1))
host_obj  = $(patsubst %,$(BUILD)/host/%.o,$(1))
fuzz_obj  = $(patsubst %,$(BUILD)/fuzz/%.o,$(1))

$(BUILD)/guest/%.c.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(call say,CC,$@)$(CC) $(GUEST_CFLAGS) $(CFLAGS_$(<)) -c $< -o $@
$(BUILD)/guest/%.S.o: %.S | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(call say,AS,$@)$(CC) $(GUEST_ASFLAGS) -c $< -o $@
$(BUILD)/root/%.c.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(call say,CC,$@)$(CC) $(ROOT_CFLAGS) $(CFLAGS_$(<)) -c $< -o $@
$(BUILD)/root/%.S.o: %.S | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(call say,AS,$@)$(CC) $(GUEST_ASFLAGS) -DENLIGHT_ROOT -c $< -o $@
$(BUILD)/host/%.c.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(call say,HOSTCC,$@)$(CC) $(HOST_CFLAGS) $(CFLAGS_$(<)) -c $< -o $@
$(BUILD)/fuzz/%.c.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(call say,FUZZCC,$@)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

# ---------------------------------------------------------------------------
# Guest kit and appliances.
KIT_LIB := $(BUILD)/guest/libkit.a
KIT_FORCE_OBJS := $(call guest_obj,$(KIT_FORCE_SRCS))
KIT_OBJS := $(call guest_obj,$(KIT_SRCS) $(COMMON_SRCS))
GUEST_LDS := boot/kernel.ld

$(KIT_LIB): $(KIT_OBJS)
	@mkdir -p $(@D)
	@rm -f $@
	$(call say,AR,$@)$(AR) rcs $@ $^

# Every image gets a disassembly (.dis), a symbol file (.sym) and an ELF32
# copy (.elf32) that QEMU's -kernel Multiboot1 loader accepts.
define image_extras
	$(Q)$(OBJDUMP) -d -M intel $(1) > $(basename $(1)).dis
	$(Q)$(NM) -n $(1) > $(basename $(1)).sym
	$(Q)$(OBJCOPY) -I elf64-x86-64 -O elf32-i386 $(1) $(basename $(1)).elf32
endef

define app_rules
APP_$(1)_OBJS := $$(call guest_obj,$$(APP_$(1)_SRCS))
$(BUILD)/apps/$(1).elf: $$(KIT_FORCE_OBJS) $$(APP_$(1)_OBJS) $$(KIT_LIB) \
		$$(APP_$(1)_LIBS) $(GUEST_LDS)
	@mkdir -p $$(@D)
	$$(call say,LD,$$@)$$(LD) $$(GUEST_LDFLAGS) -T $(GUEST_LDS) -Map $$(basename $$@).map \
		-o $$@ $$(KIT_FORCE_OBJS) $$(APP_$(1)_OBJS) --start-group \
		$$(KIT_LIB) $$(APP_$(1)_LIBS) $$(GUEST_LIBS) --end-group
	$$(call image_extras,$$@)
endef
$(foreach a,$(APPS),$(eval $(call app_rules,$(a))))
APP_IMAGES := $(patsubst %,$(BUILD)/apps/%.elf,$(APPS))

# ---------------------------------------------------------------------------
# Reference root side.
ROOT_IMAGE := $(BUILD)/root/root.elf
ROOT_OBJS := $(call root_obj,$(ROOT_SRCS) $(COMMON_SRCS))
ROOT_LDS := root/boot/root.ld
ifneq ($(strip $(ROOT_SRCS)),)
$(ROOT_IMAGE): $(ROOT_OBJS) $(ROOT_LDS)
	@mkdir -p $(@D)
	$(call say,LD,$@)$(LD) $(GUEST_LDFLAGS) -T $(ROOT_LDS) -Map $(basename $@).map -o $@ \
		$(ROOT_OBJS) --start-group $(GUEST_LIBS) --end-group
	$(call image_extras,$@)
else
ROOT_IMAGE :=
endif

# ---------------------------------------------------------------------------
# Host tests, fuzz targets and benchmarks.
define host_prog # kind, name, test-source, extra-srcs
$(BUILD)/tests/$(1)/$(2): $$(call host_obj,$(3) $(4))
	@mkdir -p $$(@D)
	$$(call say,LINK,$$@)$$(CC) $$(HOST_LDFLAGS) -o $$@ $$^ $$(HOST_LIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call host_prog,unit,test_$(t),\
	tests/unit/test_$(t).c,$(UNIT_$(t)_SRCS))))
$(foreach t,$(LOOPBACK_TESTS),$(eval $(call host_prog,loopback,test_$(t),\
	tests/loopback/test_$(t).c,$(LOOPBACK_$(t)_SRCS))))
UNIT_BINS := $(patsubst %,$(BUILD)/tests/unit/test_%,$(UNIT_TESTS))
LOOPBACK_BINS := $(patsubst %,$(BUILD)/tests/loopback/test_%,$(LOOPBACK_TESTS))

define fuzz_prog
$(BUILD)/tests/fuzz/fuzz_$(1): $$(call fuzz_obj,tests/fuzz/fuzz_$(1).c $$(FUZZ_$(1)_SRCS))
	@mkdir -p $$(@D)
	$$(call say,LINK,$$@)$$(FUZZ_CC) $$(FUZZ_CFLAGS) -o $$@ $$^
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_prog,$(t))))
FUZZ_BINS := $(patsubst %,$(BUILD)/tests/fuzz/fuzz_%,$(FUZZ_TARGETS))

define bench_prog
$(BUILD)/bench/$(1): $$(patsubst %,$(BUILD)/bench-obj/%.o,$$(BENCH_$(1)_SRCS))
	@mkdir -p $$(@D)
	$$(call say,LINK,$$@)$$(CC) -o $$@ $$^ $$(BENCH_$(1)_LDFLAGS) -lpthread
endef
$(BUILD)/bench-obj/%.c.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(call say,CC,$@)$(CC) $(WARN) -O2 -g -I. -D_DEFAULT_SOURCE -DENLIGHT_HOST -MMD -MP \
		-c $< -o $@
$(foreach t,$(BENCH_PROGS),$(eval $(call bench_prog,$(t))))
BENCH_BINS := $(patsubst %,$(BUILD)/bench/%,$(BENCH_PROGS))

# ---------------------------------------------------------------------------
# User-facing targets.
.PHONY: all deps test test-unit test-loopback test-e2e test-linux fuzz format \
	format-check iso run qemu qemu-gdb bench clean distclean help

all: $(APP_IMAGES) $(ROOT_IMAGE) $(EXTRA_ALL)

tests-build: all $(UNIT_BINS) $(LOOPBACK_BINS) $(FUZZ_BINS)

APP ?= hello
RUN_APP ?= httpd
RUN_PORT ?= 8080

test: tests-build
	@$(PYTHON) tests/run --all

test-unit: $(UNIT_BINS)
	@$(PYTHON) tests/run --unit
test-loopback: $(LOOPBACK_BINS)
	@$(PYTHON) tests/run --loopback
test-e2e: all
	@$(PYTHON) tests/run --e2e
test-linux: all
	@$(PYTHON) tests/run --linux
fuzz: $(FUZZ_BINS)
	@$(PYTHON) tests/run --fuzz-long

iso: $(BUILD)/apps/$(APP).elf $(ROOT_IMAGE)
	@tools/mkiso --app $(APP)

# The sample site (tools/www) on a fresh FAT32 image, the appliance under
# the root with that disk and a NIC whose port 80 is localhost:RUN_PORT.
run: all
	@mkdir -p $(BUILD)/run
	@tools/mkfat -s 64M $(BUILD)/run/www.img tools/www
	@echo "Enlight: $(RUN_APP) is starting; open http://localhost:$(RUN_PORT)/ (Ctrl-C stops it)"
	tools/enlight-run --app $(RUN_APP) --disk $(BUILD)/run/www.img --net $(RUN_PORT)

qemu: all
	tools/enlight-run --app $(APP)

qemu-gdb: all
	tools/enlight-run --app $(APP) --gdb

bench: all $(BENCH_BINS)
	@for b in bench/*/run; do [ -x $$b ] && $$b; done; true

SRC_DIRS := proto common boot winhv vmbus vsc net storage apps root tests bench
FORMAT_FILES = $(shell find $(SRC_DIRS) -name '*.[ch]' 2>/dev/null)
format:
	@clang-format -i $(FORMAT_FILES)
format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf $(BUILD)
distclean: clean
	rm -rf $(ENLIGHT_CACHE)

help:
	@echo "make              build every appliance and the root into build/"
	@echo "make run          boot the default appliance ($(RUN_APP)) with a disk and a NIC; it prints http://localhost:$(RUN_PORT)/"
	@echo "make test         unit, loopback, fuzz smoke and QEMU end-to-end tests"
	@echo "make test-unit | test-loopback | test-e2e   one depth only"
	@echo "make test-linux   Debian's kernel as the child, its hv drivers"
	@echo "make fuzz         run every fuzz target for longer"
	@echo "make qemu APP=x   boot appliance x; make qemu-gdb APP=x waits for gdb"
	@echo "make iso APP=x    GRUB (multiboot2) ISO in build/iso/"
	@echo "make bench        run the benchmarks under bench/"
	@echo "make format       clang-format the tree (make test checks it)"
	@echo "make deps         install Debian packages and fill the cache"

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

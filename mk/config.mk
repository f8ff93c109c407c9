# Toolchain and flags shared by every part of the build.
#
# Three compile flavours:
#   GUEST  freestanding x86_64, newlib headers, linked into appliance images
#   ROOT   the same flags with -DENLIGHT_ROOT, linked into the root image
#   HOST   native, with ASan/UBSan, for unit and loopback tests
# FUZZ builds use clang with -fsanitize=fuzzer.

ENLIGHT_CACHE ?= $(HOME)/.cache/enlight
export ENLIGHT_CACHE

BUILD   := build
CC      := gcc
LD      := ld
OBJCOPY := objcopy
OBJDUMP := objdump
NM      := nm
AR      := ar
PYTHON  := python3
FUZZ_CC := clang

DEPS_STAMP := $(BUILD)/.deps-ok
NEWLIB  := $(shell ENLIGHT_CACHE=$(ENLIGHT_CACHE) scripts/deps --newlib-dir)
MBINC   := $(ENLIGHT_CACHE)/include
LWIP    := $(ENLIGHT_CACHE)/lwip

WARN := -std=c11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
        -Wstrict-prototypes -Wmissing-prototypes -Wvla

# Freestanding target flags; these must match NEWLIB_CFLAGS in scripts/deps.
TARGET_FLAGS := -O2 -g -ffreestanding -fno-stack-protector -mno-red-zone \
        -fno-pic -fno-pie -mcmodel=small -fno-omit-frame-pointer \
        -fno-strict-aliasing -fno-common

GUEST_CFLAGS := $(WARN) $(TARGET_FLAGS) -I. -I$(MBINC) \
        -isystem $(NEWLIB)/include -D_POSIX_C_SOURCE=200809L \
        -D_POSIX_TIMERS=1 -D_POSIX_MONOTONIC_CLOCK=200112L -MMD -MP
ROOT_CFLAGS  := $(GUEST_CFLAGS) -DENLIGHT_ROOT
GUEST_ASFLAGS := -I. -I$(MBINC) -D__ASSEMBLY__ -DASM_FILE -MMD -MP

LIBGCC  := $(shell $(CC) -print-libgcc-file-name)
GUEST_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 --no-relax \
        -z noexecstack
GUEST_LIBS := $(NEWLIB)/lib/libc.a $(NEWLIB)/lib/libm.a $(LIBGCC)

SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all
HOST_CFLAGS  := $(WARN) -O1 -g $(SANITIZE) -fno-omit-frame-pointer -I. \
        -I$(MBINC) -D_DEFAULT_SOURCE -DENLIGHT_HOST -MMD -MP
HOST_LDFLAGS := $(SANITIZE)
HOST_LIBS    := -lcmocka -lpthread

FUZZ_CFLAGS := -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -O1 -g \
        -I. -I$(MBINC) \
        -D_DEFAULT_SOURCE -DENLIGHT_HOST -DENLIGHT_FUZZ -MMD -MP \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

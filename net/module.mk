# net/: the guest's network layer (lwIP port) and the RNDIS helpers that
# netvsc and netvsp share.

# RNDIS parsers and builders: pure C for the guest, the root and the tests.
COMMON_SRCS += common/rndis.c

# ---- lwIP 2.1.3 from the dependency cache ($(LWIP), filled by scripts/deps)
LWIP_SRC := $(LWIP)/src
# The lwIP sources an IPv4 appliance needs (paths under $(LWIP_SRC)).
LWIP_CORE_SRCS := core/init.c core/def.c core/dns.c core/inet_chksum.c \
	core/ip.c core/mem.c core/memp.c core/netif.c core/pbuf.c core/raw.c \
	core/stats.c core/sys.c core/tcp.c core/tcp_in.c core/tcp_out.c \
	core/timeouts.c core/udp.c core/ipv4/autoip.c core/ipv4/dhcp.c \
	core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/igmp.c core/ipv4/ip4.c \
	core/ipv4/ip4_addr.c core/ipv4/ip4_frag.c netif/ethernet.c
# Include path for anything that includes lwIP headers (our port first).
LWIP_INC := -Inet -I$(LWIP_SRC)/include
# lwIP is third-party code outside the tree: keep -Wall but do not hold it
# to our stricter set.
LWIP_RELAX := -Wno-error -Wno-missing-prototypes -Wno-shadow \
	-Wno-strict-prototypes -Wno-unused-parameter -Wno-sign-compare \
	-Wno-address -Wno-type-limits

# The cache may be filled only when the build starts: its sources are
# "made" by the dependency step.
$(LWIP_SRC)/%.c: | $(DEPS_STAMP)
	@test -f $@
# They are sources, not intermediate files: make must never delete them
# (it would after a build that fetched them).
.PRECIOUS: $(LWIP_SRC)/%.c

# Guest: build/guest/liblwip.a; appliances that use the network add
#   APP_<name>_LIBS += $(LWIP_GUEST_LIB)
# and CFLAGS_<file> := $(LWIP_INC) for files that include lwIP headers.
LWIP_GUEST_OBJS := $(patsubst %.c,$(BUILD)/guest/lwip/%.c.o,$(LWIP_CORE_SRCS))
LWIP_GUEST_LIB := $(BUILD)/guest/liblwip.a
$(BUILD)/guest/lwip/%.c.o: $(LWIP_SRC)/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(call say,CC,$@)$(CC) $(GUEST_CFLAGS) $(LWIP_RELAX) $(LWIP_INC) \
		-c $< -o $@
$(LWIP_GUEST_LIB): $(LWIP_GUEST_OBJS)
	@mkdir -p $(@D)
	@rm -f $@
	$(call say,AR,$@)$(AR) rcs $@ $^
EXTRA_ALL += $(LWIP_GUEST_LIB)

# Our port and netif driver: part of the guest kit.
NET_SRCS := net/netif.c net/sys_arch.c net/up.c net/listen.c
KIT_SRCS += $(NET_SRCS)
$(foreach f,$(NET_SRCS),$(eval CFLAGS_$(f) := $(LWIP_INC)))

# Host: lwIP's sources as absolute paths for host test programs (the
# generic host rule builds them to build/host/<path>.o with these flags).
LWIP_HOST_SRCS := $(addprefix $(LWIP_SRC)/,$(LWIP_CORE_SRCS))
$(foreach f,$(LWIP_HOST_SRCS),$(eval CFLAGS_$(f) := $(LWIP_RELAX) $(LWIP_INC)))

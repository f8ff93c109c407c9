# Children for the root's end-to-end tests (tests/e2e cases boot them with
# tools/enlight-run --root --image build/root/test/NAME.elf):
#   roottest  checks the Hyper-V interface from inside; status = failures
#   hostile   garbage to every synthetic MSR, hypercall and port; exits 7
#   triple    a triple fault; the root must report it and exit 101
#   realmode  #GP injected into real mode; exits 5
# (The top Makefile defines root_obj and ROOT_LDS after including this.)
ROOT_TEST_CHILDREN := roottest hostile triple realmode
ROOTTEST_SRCS := common/x86/start.S common/x86/mb1header.S \
	common/x86/mb2header.S tests/e2e/children/roottest.c common/x86/idt.c \
	common/x86/trap.S common/x86/uart.c common/fmt.c
ROOTTEST_OBJS := $(patsubst %,$(BUILD)/root/%.o,$(ROOTTEST_SRCS))

$(BUILD)/root/test/roottest.elf: $(ROOTTEST_OBJS) root/boot/root.ld
	@mkdir -p $(@D)
	$(call say,LD,$@)$(LD) $(GUEST_LDFLAGS) -T root/boot/root.ld -o $@ \
		$(ROOTTEST_OBJS) --start-group $(GUEST_LIBS) --end-group

# The assembly children: one object each, linked at the given address.
define root_asm_child
$(BUILD)/root/test/$(1).elf: $(BUILD)/root/tests/e2e/children/$(1).S.o
	@mkdir -p $$(@D)
	$$(call say,LD,$$@)$$(LD) -nostdlib -static -z noexecstack \
		-Ttext=$(2) -e _start -o $$@ $$<
endef
$(eval $(call root_asm_child,hostile,0x100000))
$(eval $(call root_asm_child,triple,0x100000))
$(eval $(call root_asm_child,realmode,0x8000))

EXTRA_ALL += $(patsubst %,$(BUILD)/root/test/%.elf,$(ROOT_TEST_CHILDREN))

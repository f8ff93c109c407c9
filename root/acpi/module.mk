# Hardware-reduced ACPI tables for Linux children; the DSDT is compiled from
# dsdt.asl by Debian's iasl at build time.
ACPI_DSDT_C := $(BUILD)/gen/root/acpi/dsdt_aml.c
$(ACPI_DSDT_C): root/acpi/dsdt.asl root/acpi/gen-aml | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(call say,IASL,$@)root/acpi/gen-aml $< $@ acpi_dsdt_aml
ROOT_SRCS += root/acpi/acpi.c $(ACPI_DSDT_C)

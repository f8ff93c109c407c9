UNIT_TESTS += acpi
UNIT_acpi_SRCS = root/acpi/acpi.c $(ACPI_DSDT_C) $(ROOT_HV_SRCS)

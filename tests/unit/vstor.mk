# VSTOR and SCSI wire formats (header-only).
UNIT_TESTS += vstor
UNIT_vstor_SRCS :=

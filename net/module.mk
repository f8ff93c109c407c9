# net/: the guest's network layer (lwIP port) and the RNDIS helpers that
# netvsc and netvsp share.

# RNDIS parsers and builders: pure C for the guest, the root and the tests.
COMMON_SRCS += common/rndis.c

# vsc/: guest virtualization service clients.

# Integration components (heartbeat, shutdown, time sync, KVP).
KIT_SRCS += vsc/ic.c

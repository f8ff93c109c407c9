# vsc/: guest virtualization service clients.

# Integration components (heartbeat, shutdown, time sync, KVP).
KIT_SRCS += vsc/ic.c

# Partition services for appliances: WinHv, VMBus and the ICs in one place.
KIT_SRCS += vsc/partition.c

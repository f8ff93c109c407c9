# vsc/netvsc: the guest's synthetic network adapter (NVSP + RNDIS).
KIT_SRCS += vsc/netvsc/netvsc.c

# root/vsp/netvsp: the synthetic network adapter (NVSP + RNDIS VSP).
ROOT_SRCS += root/vsp/netvsp/netvsp.c

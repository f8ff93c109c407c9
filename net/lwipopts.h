/*
 * lwIP configuration for Enlight appliances (lwIP 2.1.3, see
 * docs/NETWORK.md for the reasoning).
 *
 * NO_SYS=1: the guest is one thread with no scheduler, so lwIP runs
 * without threads, mailboxes or semaphores; applications use the raw
 * callback API (tcp_*, udp_*) and the main loop calls net_poll().
 * IPv4 only, with ARP, DHCP, DNS, UDP, TCP and ICMP.  Statistics are on
 * because the host tests check the pools for leaks.
 */
#ifndef ENLIGHT_LWIPOPTS_H
#define ENLIGHT_LWIPOPTS_H

/* ---- system ---- */
#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0 /* never entered from interrupts */
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_TIMERS 1

/* ---- memory: a static heap and static pools ---- */
#define MEM_LIBC_MALLOC 0
#define MEMP_MEM_MALLOC 0
#define MEM_ALIGNMENT 8
#define MEM_SIZE (512 * 1024)
#define MEMP_NUM_PBUF 256 /* PBUF_ROM: file data sent by reference */
#define MEMP_NUM_RAW_PCB 4
#define MEMP_NUM_UDP_PCB 8
#define MEMP_NUM_TCP_PCB 32
#define MEMP_NUM_TCP_PCB_LISTEN 8
#define MEMP_NUM_TCP_SEG 512
#define MEMP_NUM_REASSDATA 8
#define MEMP_NUM_FRAG_PBUF 16
#define MEMP_NUM_ARP_QUEUE 32
#define PBUF_POOL_SIZE 256
/* Pool buffers hold one whole Ethernet frame (1514 + VLAN tag). */
#define PBUF_POOL_BUFSIZE 1536

/* ---- link and network layers ---- */
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define ETH_PAD_SIZE 0
#define ARP_TABLE_SIZE 16
#define ARP_QUEUEING 1
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define IP_FORWARD 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_IGMP 0
#define LWIP_AUTOIP 0

/* ---- DHCP and DNS ---- */
#define LWIP_DHCP 1
#define DHCP_DOES_ARP_CHECK 1
#define LWIP_DHCP_GET_NTP_SRV 0
#define LWIP_DNS 1
#define DNS_TABLE_SIZE 8
#define DNS_MAX_SERVERS 2
#define LWIP_NETIF_HOSTNAME 1

/* ---- transport ---- */
#define LWIP_UDP 1
#define LWIP_TCP 1
#define TCP_MSS 1460
#define TCP_WND (32 * TCP_MSS)
#define TCP_SND_BUF (32 * TCP_MSS)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 2
#define TCP_LISTEN_BACKLOG 1
#define LWIP_TCP_KEEPALIVE 1
#define LWIP_ALTCP 0

/* ---- netif ---- */
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_SINGLE_NETIF 0

/* ---- checksums: all in software until netvsc offload is wired ---- */
#define LWIP_CHECKSUM_CTRL_PER_NETIF 0

/* ---- statistics (pool leak checks in tests) ---- */
#define LWIP_STATS 1
#define LWIP_STATS_DISPLAY 0
#define MEM_STATS 1
#define MEMP_STATS 1
#define LINK_STATS 1
#define IP_STATS 1
#define TCP_STATS 1
#define UDP_STATS 1
#define ICMP_STATS 1
#define SYS_STATS 0

/* ---- hooks (net/lwip_hooks.h) ---- */
#define LWIP_HOOK_FILENAME "lwip_hooks.h"
#define LWIP_HOOK_IP4_ROUTE_SRC(src, dest) net_route_src((src), (dest))

/* ---- debugging ---- */
#define LWIP_DEBUG 0
#define LWIP_NOASSERT 0

#endif /* ENLIGHT_LWIPOPTS_H */

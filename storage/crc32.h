/* CRC-32 (IEEE 802.3, reflected, as GPT and zlib use it). */
#ifndef STORAGE_CRC32_H
#define STORAGE_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continues crc over buf; start with crc = 0. */
uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);

#endif /* STORAGE_CRC32_H */

/*
 * The FAT volume on one SCSI disk as an appliance's file system, in one
 * call: VSTOR negotiation with the controller, the LUN opened, the block
 * layer's cache over it, and the volume mounted behind newlib's open(),
 * read(), write(), ... (storage/vfs.h).  One volume at a time.
 */
#ifndef STORAGE_VOLUME_H
#define STORAGE_VOLUME_H

#include "storage/vfs.h"
#include "vsc/storvsc/storvsc.h"

/*
 * Mounts the volume on LUN lun of sv (vfs_flags: VFS_MOUNT_*).  Returns 0,
 * or the first error of storvsc_start(), storvsc_disk_open(), blk_init()
 * or vfs_mount(); *stage (when stage is not NULL) then names the step:
 * "controller", "disk", "cache" or "volume".  -EBUSY when a volume is
 * already mounted.
 */
int volume_mount(struct storvsc *sv, unsigned lun, int vfs_flags,
                 const char **stage);

/* Unmounts (flushing everything) and drops the cache.  Returns 0 or the
 * error of vfs_unmount() (then the volume stays mounted). */
int volume_unmount(void);

#endif /* STORAGE_VOLUME_H */

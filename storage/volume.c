/* One storvsc disk's FAT volume as the file system; see volume.h. */
#include "storage/volume.h"
#include "storage/blk.h"

#include <errno.h>
#include <stddef.h>

static struct blk_dev dev;
static int mounted;

int volume_mount(struct storvsc *sv, unsigned lun, int vfs_flags,
                 const char **stage)
{
    struct storvsc_disk *disk;
    const char *step = "controller";
    int rc;

    if (mounted)
        return -EBUSY;
    if (!sv) {
        rc = -ENODEV;
        goto fail;
    }
    rc = storvsc_start(sv);
    if (rc)
        goto fail;
    step = "disk";
    rc = storvsc_disk_open(sv, lun, &disk);
    if (rc)
        goto fail;
    step = "cache";
    rc = blk_init(&dev, &storvsc_blk_ops, disk, storvsc_disk_sector_size(disk),
                  0);
    if (rc)
        goto fail;
    step = "volume";
    rc = vfs_mount(&dev, vfs_flags);
    if (rc) {
        blk_fini(&dev);
        goto fail;
    }
    mounted = 1;
    return 0;
fail:
    if (stage)
        *stage = step;
    return rc;
}

int volume_unmount(void)
{
    if (!mounted)
        return 0;
    int rc = vfs_unmount();
    if (rc)
        return rc;
    blk_fini(&dev);
    mounted = 0;
    return 0;
}

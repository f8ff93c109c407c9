/*
 * Unit tests for apps/kvstore/kv.c on a FAT32 RAM disk made by mkfs.fat:
 * the log survives remounts, torn tails are cut, an interrupted compaction
 * is finished or discarded, and a crash at any device write keeps every
 * acknowledged key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "apps/kvstore/kv.h"
#include "storage/blk.h"
#include "storage/fat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECTORS                                                                \
    67584u /* 33 MiB: mkfs.fat's smallest FAT32 at 512 B/cluster               \
            */
#define BYTES ((size_t)SECTORS * 512)

static uint8_t *fresh; /* the formatted image */

/* RAM disk that can photograph itself before its n-th write lands. */
struct crashdisk {
    uint8_t *data;
    uint8_t *snap;
    uint64_t writes, snap_at;
};

static int cd_rw(void *priv, struct blk_req *req)
{
    struct crashdisk *c = priv;
    size_t off = (size_t)req->lba * 512, n = (size_t)req->count * 512;
    if (req->op == BLK_OP_WRITE) {
        if (++c->writes == c->snap_at)
            memcpy(c->snap, c->data, BYTES);
        memcpy(c->data + off, req->buf, n);
    } else {
        memcpy(req->buf, c->data + off, n);
    }
    blk_complete(req, 0);
    return 0;
}

static int cd_flush(void *priv, struct blk_req *req)
{
    (void)priv;
    blk_complete(req, 0);
    return 0;
}

static uint64_t cd_cap(void *priv)
{
    (void)priv;
    return SECTORS;
}

static const struct blk_ops cd_ops = {
    .read = cd_rw, .write = cd_rw, .flush = cd_flush, .capacity = cd_cap};

struct mounted {
    struct crashdisk cd;
    struct blk_dev dev;
    struct fat_vol *v;
    struct kv *kv;
    struct kv_recovery rec;
};

static void mount_on(struct mounted *m, uint8_t *data)
{
    memset(m, 0, sizeof(*m));
    m->cd.data = data;
    assert_int_equal(blk_init(&m->dev, &cd_ops, &m->cd, 512, 32), 0);
    assert_int_equal(fat_mount(&m->v, &m->dev, 0, SECTORS, 0), 0);
    assert_int_equal(kv_open(m->v, "/kv.log", &m->kv, &m->rec), 0);
}

static void unmount(struct mounted *m)
{
    kv_close(m->kv);
    assert_int_equal(fat_unmount(m->v), 0);
    blk_fini(&m->dev);
}

static void expect(struct kv *kv, const char *key, const char *val)
{
    const void *v;
    uint32_t len;
    if (!val) {
        assert_int_equal(kv_get(kv, key, &v, &len), -ENOENT);
        return;
    }
    assert_int_equal(kv_get(kv, key, &v, &len), 0);
    assert_int_equal(len, strlen(val));
    assert_memory_equal(v, val, len);
}

static int group_setup(void **state)
{
    (void)state;
    /* mkfs.fat and fsck.fat live in /usr/sbin, often not on a user's PATH */
    char path[4096];
    snprintf(path, sizeof(path), "%s:/usr/sbin:/sbin",
             getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    setenv("PATH", path, 1);
    char tmpl[256], cmd[600];
    const char *t = getenv("TMPDIR");
    snprintf(tmpl, sizeof(tmpl), "%s/enlight-kv-XXXXXX", t ? t : "/tmp");
    if (!mkdtemp(tmpl))
        return -1;
    snprintf(cmd, sizeof(cmd),
             "mkfs.fat -F 32 -s 1 -C %s/d.img %u >/dev/null 2>&1", tmpl,
             SECTORS / 2);
    if (system(cmd))
        return -1;
    fresh = malloc(BYTES);
    snprintf(cmd, sizeof(cmd), "%s/d.img", tmpl);
    FILE *f = fopen(cmd, "rb");
    if (!f || fread(fresh, 1, BYTES, f) != BYTES)
        return -1;
    fclose(f);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
    return system(cmd);
}

static int group_teardown(void **state)
{
    (void)state;
    free(fresh);
    return 0;
}

static void test_put_get_del_survive_remount(void **state)
{
    (void)state;
    uint8_t *disk = malloc(BYTES);
    memcpy(disk, fresh, BYTES);
    struct mounted m;
    mount_on(&m, disk);
    assert_int_equal(kv_count(m.kv), 0);
    assert_int_equal(kv_put(m.kv, "alpha", "one", 3), 0);
    assert_int_equal(kv_put(m.kv, "beta", "two", 3), 0);
    assert_int_equal(kv_put(m.kv, "alpha", "uno", 3), 0);
    assert_int_equal(kv_put(m.kv, "empty", NULL, 0), 0);
    assert_int_equal(kv_del(m.kv, "beta"), 0);
    assert_int_equal(kv_del(m.kv, "beta"), -ENOENT);
    assert_int_equal(kv_put(m.kv, "bad key", "x", 1), -EINVAL);
    assert_int_equal(kv_put(m.kv, "", "x", 1), -EINVAL);
    assert_int_equal(kv_put(m.kv, "big", "x", KV_VALUE_MAX + 1), -EINVAL);
    for (int i = 0; i < 300; i++) {
        char k[16], v[32];
        snprintf(k, sizeof(k), "k%d", i);
        snprintf(v, sizeof(v), "value-%d", i * 7);
        assert_int_equal(kv_put(m.kv, k, v, (uint32_t)strlen(v)), 0);
    }
    unmount(&m);
    mount_on(&m, disk);
    assert_int_equal(m.rec.truncated, 0);
    assert_int_equal(m.rec.records, 305);
    expect(m.kv, "alpha", "uno");
    expect(m.kv, "beta", NULL);
    expect(m.kv, "empty", "");
    expect(m.kv, "k299", "value-2093");
    assert_int_equal(kv_count(m.kv), 302);
    /* compaction keeps the live set and shrinks the log */
    uint64_t before = kv_log_bytes(m.kv);
    assert_int_equal(kv_compact(m.kv), 0);
    assert_true(kv_log_bytes(m.kv) < before);
    assert_int_equal(kv_put(m.kv, "after", "compact", 7), 0);
    unmount(&m);
    mount_on(&m, disk);
    assert_int_equal(kv_count(m.kv), 303);
    expect(m.kv, "alpha", "uno");
    expect(m.kv, "after", "compact");
    unmount(&m);
    free(disk);
}

static void test_torn_tail_is_cut(void **state)
{
    (void)state;
    uint8_t *disk = malloc(BYTES);
    memcpy(disk, fresh, BYTES);
    struct mounted m;
    mount_on(&m, disk);
    assert_int_equal(kv_put(m.kv, "a", "1", 1), 0);
    assert_int_equal(kv_put(m.kv, "b", "2", 1), 0);
    unmount(&m);
    /* garbage appended with the FAT code: a record cut short */
    struct blk_dev dev;
    struct crashdisk cd = {.data = disk};
    struct fat_vol *v;
    struct fat_file *f;
    assert_int_equal(blk_init(&dev, &cd_ops, &cd, 512, 8), 0);
    assert_int_equal(fat_mount(&v, &dev, 0, SECTORS, 0), 0);
    assert_int_equal(fat_open(v, "/kv.log", FAT_O_WRITE | FAT_O_APPEND, &f), 0);
    uint8_t torn[30] = {0x4B, 0x56, 0x52, 0x31, 9, 9, 9, 9};
    assert_int_equal(fat_write(f, torn, sizeof(torn)), (long)sizeof(torn));
    assert_int_equal(fat_close(f), 0);
    assert_int_equal(fat_unmount(v), 0);
    blk_fini(&dev);
    mount_on(&m, disk);
    assert_int_equal(m.rec.records, 2);
    assert_int_equal(m.rec.truncated, sizeof(torn));
    expect(m.kv, "b", "2");
    assert_int_equal(kv_put(m.kv, "c", "3", 1), 0);
    unmount(&m);
    mount_on(&m, disk);
    assert_int_equal(m.rec.truncated, 0);
    expect(m.kv, "c", "3");
    unmount(&m);
    free(disk);
}

static void test_interrupted_compaction(void **state)
{
    (void)state;
    uint8_t *disk = malloc(BYTES);
    memcpy(disk, fresh, BYTES);
    struct mounted m;
    mount_on(&m, disk);
    assert_int_equal(kv_put(m.kv, "x", "old", 3), 0);
    kv_close(m.kv);
    /* a leftover half-written new log next to the real one is discarded */
    struct fat_file *f;
    assert_int_equal(
        fat_open(m.v, "/kv.log.new", FAT_O_WRITE | FAT_O_CREAT, &f), 0);
    assert_int_equal(fat_write(f, "junk", 4), 4);
    assert_int_equal(fat_close(f), 0);
    assert_int_equal(kv_open(m.v, "/kv.log", &m.kv, &m.rec), 0);
    expect(m.kv, "x", "old");
    struct fat_stat st;
    assert_int_equal(fat_stat(m.v, "/kv.log.new", &st), -ENOENT);
    /* a complete new log whose rename did not happen is moved in */
    assert_int_equal(kv_compact(m.kv), 0);
    kv_close(m.kv);
    assert_int_equal(fat_rename(m.v, "/kv.log", "/kv.log.new"), 0);
    assert_int_equal(kv_open(m.v, "/kv.log", &m.kv, &m.rec), 0);
    assert_true(m.rec.finished_compaction);
    expect(m.kv, "x", "old");
    unmount(&m);
    free(disk);
}

/* Op i of the crash workload: a put, or (every fourth) deleting the key
 * the previous op wrote.  Returns the key index. */
static int workload(int i, char *k, size_t kn, char *v, size_t vn, int *del)
{
    *del = i % 4 == 3;
    int idx = *del ? (i - 1) % 5 : i % 5;
    snprintf(k, kn, "key%d", idx);
    snprintf(v, vn, "value %d with some bytes %d", i, i * i);
    return idx;
}

/*
 * Crash at every device write of a workload: the disk as it was before
 * write n is mounted, and every key acknowledged before that write must be
 * there with its value; the store must then accept writes.
 */
static void test_crash_at_every_write(void **state)
{
    (void)state;
    enum { OPS = 12 };
    uint8_t *disk = malloc(BYTES), *snap = malloc(BYTES);
    uint64_t acked_writes[OPS]; /* device writes when op i was acked */
    struct mounted m;
    /* first run: count the writes */
    memcpy(disk, fresh, BYTES);
    mount_on(&m, disk);
    m.cd.snap = snap;
    uint64_t base = m.cd.writes;
    for (int i = 0; i < OPS; i++) {
        char k[16], v[40];
        int del;
        workload(i, k, sizeof(k), v, sizeof(v), &del);
        if (del)
            assert_int_equal(kv_del(m.kv, k), 0);
        else
            assert_int_equal(kv_put(m.kv, k, v, (uint32_t)strlen(v)), 0);
        acked_writes[i] = m.cd.writes;
    }
    uint64_t total = m.cd.writes;
    unmount(&m);
    assert_true(total - base > OPS);

    for (uint64_t n = base + 1; n <= total; n++) {
        /* the state after the last acknowledged op, and after the op in
         * flight at the crash: recovery must give one of the two */
        char acked[5][40], inflight[5][40];
        int in_acked[5] = {0}, in_inflight[5] = {0}, flight_seen = 0;
        memcpy(disk, fresh, BYTES);
        mount_on(&m, disk);
        m.cd.snap = snap;
        m.cd.snap_at = n;
        for (int i = 0; i < OPS; i++) {
            char k[16], v[40];
            int del;
            int idx = workload(i, k, sizeof(k), v, sizeof(v), &del);
            if (del)
                assert_int_equal(kv_del(m.kv, k), 0);
            else
                assert_int_equal(kv_put(m.kv, k, v, (uint32_t)strlen(v)), 0);
            if (acked_writes[i] < n) {
                in_acked[idx] = !del;
                snprintf(acked[idx], 40, "%s", v);
            }
            if (acked_writes[i] < n || !flight_seen) {
                if (acked_writes[i] >= n)
                    flight_seen = 1;
                in_inflight[idx] = !del;
                snprintf(inflight[idx], 40, "%s", v);
            }
        }
        unmount(&m);
        struct mounted r;
        mount_on(&r, snap);
        for (int k = 0; k < 5; k++) {
            char key[16];
            const void *v;
            uint32_t len;
            snprintf(key, sizeof(key), "key%d", k);
            int rc = kv_get(r.kv, key, &v, &len);
            int match_acked = in_acked[k]
                                  ? rc == 0 && len == strlen(acked[k]) &&
                                        !memcmp(v, acked[k], len)
                                  : rc == -ENOENT;
            int match_flight = in_inflight[k]
                                   ? rc == 0 && len == strlen(inflight[k]) &&
                                         !memcmp(v, inflight[k], len)
                                   : rc == -ENOENT;
            assert_true(match_acked || match_flight);
        }
        assert_int_equal(kv_put(r.kv, "later", "ok", 2), 0);
        expect(r.kv, "later", "ok");
        unmount(&r);
    }
    free(disk);
    free(snap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_del_survive_remount),
        cmocka_unit_test(test_torn_tail_is_cut),
        cmocka_unit_test(test_interrupted_compaction),
        cmocka_unit_test(test_crash_at_every_write),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

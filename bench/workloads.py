"""The benchmark workloads bench/storage, bench/net and bench/linux share:
the storage jobs (blkbench's arguments, which the Linux peer takes too),
the result line both storage programs print, and the host side of the
network workloads, which drives the httpd appliance and the Linux peer
alike.  Imported by the run scripts; not run on its own."""
import hashlib
import http.client
import os
import re
import socket
import subprocess
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name, blkbench arguments, the key of the root's vblk-bench line.
# Sequential "1 MiB" is 1 MiB in flight as 4 commands of 256 KiB
# (storvsp's max transfer); "4 MiB" keeps 16 of them in flight, which
# shows how much of the 1 MiB gap to the ceiling is a per-cycle cost
# (QEMU merges the adjacent commands, so they complete together).
STORAGE = [
    ("seq read 1 MiB", "op=read bs=256K qd=4 total=64M", "read seq bs=262144 qd=4"),
    ("seq write 1 MiB", "op=write bs=256K qd=4 total=64M", "write seq bs=262144 qd=4"),
    ("seq read 4 MiB QD16", "op=read bs=256K qd=16 total=128M", "read seq bs=262144 qd=16"),
    ("seq write 4 MiB QD16", "op=write bs=256K qd=16 total=128M", "write seq bs=262144 qd=16"),
    ("rand read 4 KiB QD1", "op=read pattern=rand bs=4K qd=1 total=4M", "read rand bs=4096 qd=1"),
    ("rand read 4 KiB QD32", "op=read pattern=rand bs=4K qd=32 total=16M", "read rand bs=4096 qd=32"),
    ("rand write 4 KiB QD1", "op=write pattern=rand bs=4K qd=1 total=4M", "write rand bs=4096 qd=1"),
    ("rand write 4 KiB QD32", "op=write pattern=rand bs=4K qd=32 total=16M", "write rand bs=4096 qd=32"),
]
STORAGE_DISK_BYTES = 256 << 20

# One result line of apps/blkbench ("blkbench: ...") or of the Linux peer
# ("linux-peer: ..."): op, pattern, bs, qd, ios, bytes, ms, MB/s, IOPS.
STORAGE_RESULT = re.compile(
    r"(?:blkbench|linux-peer): (\w+) (\w+) bs=(\d+) qd=(\d+): (\d+) ios, "
    r"(\d+) bytes in (\d+) ms: ([\d.]+) MB/s, (\d+) IOPS")

NET_BYTES = 32 << 20       # big.bin, both directions
NET_DISCARD_PORT = 9       # the appliance's discard service
NET_REQUEST = "/hello.txt"  # the keep-alive requests' file (tools/www)
NET_REQUEST_SECONDS = 3.0


def httpd_disk(disk, big):
    """httpd's FAT32 disk: tools/www plus the file big as /big.bin."""
    subprocess.run([os.path.join(TOP, "tools", "mkfat"), "-s", "64M", disk,
                    os.path.join(TOP, "tools", "www")], check=True)
    subprocess.run(["mcopy", "-i", disk, big, "::/big.bin"], check=True,
                   env=dict(os.environ, MTOOLS_SKIP_CHECK="1"))


def net_drive(port, dport, data, tag):
    """The network workloads against a server whose port 80 is
    127.0.0.1:port and whose discard service is 127.0.0.1:dport: curl
    fetches /big.bin (must equal data), then requests per second on one
    keep-alive connection, then data is sent to the discard service (done
    when the server closes after our FIN, i.e. it has received all).
    Problems are printed with tag.  Returns a dict: mbs, seconds, got
    (bytes), ok (checksum), rps, up_mbs."""
    want = hashlib.sha256(data).hexdigest()
    t0 = time.monotonic()
    r = subprocess.run(["curl", "-sS", "-m", "120", "-o", "-",
                        f"http://127.0.0.1:{port}/big.bin"],
                       capture_output=True)
    dt = time.monotonic() - t0
    res = {"mbs": len(r.stdout) / dt / 1e6, "seconds": dt,
           "got": len(r.stdout),
           "ok": hashlib.sha256(r.stdout).hexdigest() == want}
    n, t1 = 0, time.monotonic()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() - t1 < NET_REQUEST_SECONDS:
            c.request("GET", NET_REQUEST)
            c.getresponse().read()
            n += 1
        c.close()
    except OSError as e:
        print(f"{tag}: requests stopped: {e}")
    res["rps"] = n / (time.monotonic() - t1)
    res["up_mbs"] = 0.0
    try:
        t2 = time.monotonic()
        s = socket.create_connection(("127.0.0.1", dport), timeout=120)
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        while s.recv(4096):
            pass
        s.close()
        res["up_mbs"] = len(data) / (time.monotonic() - t2) / 1e6
    except OSError as e:
        print(f"{tag}: upload stopped: {e}")
    return res

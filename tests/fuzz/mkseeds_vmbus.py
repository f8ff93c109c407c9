#!/usr/bin/env python3
"""Writes seed inputs for the VMBus fuzz targets into tests/fuzz/seeds/.

The seeds are built here from the wire formats (no captured data): a guest
session for fuzz_vmbus_server (GPADL, open, a packet in the ring, signal,
close, teardown, unload), host messages for fuzz_vmbus_guest (offers,
sub-channel offers, rescinds), VSTOR packets for fuzz_storvsp and IC
requests/answers for fuzz_ic.  Run it again
after changing a harness's input format.
"""
import os
import struct

TOP = os.path.dirname(os.path.abspath(__file__))


def write(name, fname, data):
    d = os.path.join(TOP, "seeds", name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, fname), "wb") as f:
        f.write(data)


def chunk(op, payload):
    assert len(payload) < 256
    return bytes([op, len(payload)]) + payload


def server_session():
    gpadl = struct.pack("<IIIIHHII", 8, 0, 1, 0x10, 8 + 8 * 4, 1, 4 * 4096, 0)
    gpadl += struct.pack("<4Q", 8, 9, 10, 11)
    open_ = struct.pack("<IIIIIII", 5, 0, 1, 7, 0x10, 0, 2) + bytes(120)
    # guest->host ring: descriptor (inband, offset8 2, len8 3) + 8 bytes
    pkt = struct.pack("<HHHHQ", 6, 2, 3, 1, 42) + b"payload!" + bytes(8)
    ring_data = struct.pack("<H", 9 * 4096 // 16) + pkt
    ring_ctrl = struct.pack("<HI", 8 * 4096 // 16, 32)
    close = struct.pack("<III", 7, 0, 1)
    teardown = struct.pack("<IIII", 11, 0, 1, 0x10)
    unload = struct.pack("<II", 16, 0)
    return (bytes([6]) + chunk(1, gpadl) + chunk(1, open_) +
            chunk(3, ring_data) + chunk(3, ring_ctrl) + chunk(6, b"") +
            chunk(1, close) + chunk(1, teardown) + chunk(1, unload))


def server_subchannels():
    # two sub-channels of relid 1 (relids 3 and 4), the first opened on its
    # own ring, a packet and a signal on it, the primary rescinded, unload
    def ring(relid, handle, first_pfn, down_page):
        g = struct.pack("<IIIIHHII", 8, 0, relid, handle, 8 + 8 * 4, 1,
                        4 * 4096, 0)
        g += struct.pack("<4Q", *range(first_pfn, first_pfn + 4))
        o = struct.pack("<IIIIIII", 5, 0, relid, 7, handle, 0, 2) + bytes(120)
        return chunk(1, g) + chunk(1, o)
    pkt = struct.pack("<HHHHQ", 6, 2, 3, 1, 43) + b"sub-chan" + bytes(8)
    ring_data = struct.pack("<H", 13 * 4096 // 16) + pkt
    ring_ctrl = struct.pack("<HI", 12 * 4096 // 16, 32)
    unload = struct.pack("<II", 16, 0)
    return (bytes([6]) + ring(1, 0x10, 8, 2) + chunk(0xFE, b"\x01") +
            ring(3, 0x11, 12, 2) + chunk(3, ring_data) + chunk(3, ring_ctrl) +
            chunk(0x0E, b"") + chunk(0xFF, b"") + chunk(1, unload))


def vstor(op, body=b""):
    return struct.pack("<III", op, 1, 0) + body + bytes(52 - len(body))


def storvsp_session():
    # the handshake asking for two sub-channels, then a TEST UNIT READY on
    # sub-channel 1 and a 4 KiB READ(10) on sub-channel 2 (GPA-direct)
    tur = struct.pack("<HBBBBBBBBBBI", 0x34, 0, 0, 0, 0, 0, 0, 6, 20, 2, 0,
                      0) + bytes(16) + bytes(16)
    rd = struct.pack("<HBBBBBBBBBBI", 0x34, 0, 0, 0, 0, 0, 0, 10, 20, 1, 0,
                     4096) + bytes([0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0]) + \
        bytes(6) + bytes(16)
    out = chunk(0, vstor(7)) + chunk(0, vstor(9, struct.pack("<HH", 0x602, 0)))
    out += chunk(0, vstor(10)) + chunk(0, vstor(13, struct.pack("<H", 2)))
    out += chunk(0, vstor(8)) + chunk(1, vstor(3, tur))
    out += chunk(0x82, struct.pack("<HHI", 3, 0, 4096) + vstor(3, rd))
    return out


def ic_msg(msgtype, body, flags, status=0, ver=(3, 0)):
    hdr = struct.pack("<HHHHHHIBBH", 3, 0, msgtype, ver[0], ver[1],
                      len(body), status, 0, flags, 0)
    return struct.pack("<II", 0, len(hdr) + len(body)) + hdr + body


def ic_chunk(sel, msg):
    return struct.pack("<BH", sel, len(msg)) + msg


def utf16(s):
    return (s + "\0").encode("utf-16-le")


def ic_session():
    req = 0x03  # transaction | request
    resp = 0x05  # transaction | response
    out = b""
    versions = [(3, 0), (1, 0)], [(3, 0), (1, 0)], [(3, 2), (3, 0)], \
        [(4, 0), (3, 0)], [(5, 0), (3, 0)]
    fw = versions[0]
    for svc, msgs in enumerate(versions[1:]):
        body = struct.pack("<HHI", len(fw), len(msgs), 0)
        body += b"".join(struct.pack("<HH", *v) for v in fw + msgs)
        out += ic_chunk(svc, ic_msg(0, body, req))
        body = struct.pack("<HHI", 1, 1, 0) + struct.pack("<HHHH", 3, 0,
                                                          *msgs[0])
        out += ic_chunk(4 + svc, ic_msg(0, body, resp))
    out += ic_chunk(0, ic_msg(1, struct.pack("<QI", 7, 0) + bytes(28), req))
    out += ic_chunk(1, ic_msg(3, struct.pack("<III", 0, 30, 0) +
                              bytes(2048), req))
    out += ic_chunk(2, ic_msg(4, struct.pack("<QQBBB", 133 * 10**15, 0, 1, 0,
                                             0) + bytes(5), req, ver=(4, 0)))
    key, val = utf16("Color"), utf16("blue")
    value = struct.pack("<III", 1, len(key), len(val)) + \
        key.ljust(512, b"\0") + val.ljust(2048, b"\0")
    out += ic_chunk(3, ic_msg(2, struct.pack("<BBH", 1, 0, 0) + value +
                              bytes(4), req, ver=(5, 0)))
    out += ic_chunk(3, ic_msg(2, struct.pack("<BBHI", 3, 2, 0, 0) +
                              bytes(2572), req, ver=(5, 0)))
    out += ic_chunk(7, ic_msg(2, struct.pack("<BBH", 0, 0, 0) + value +
                              bytes(4), resp, ver=(5, 0)))
    return out


def main():
    write("vmbus_server", "session", server_session())
    write("vmbus_server", "subchannels", server_subchannels())
    write("storvsp", "session", storvsp_session())
    write("ic", "session", ic_session())
    # fuzz_ring: indices 0/32, size selector 511 (4 KiB), one packet.
    pkt = struct.pack("<HHHHQ", 6, 2, 3, 0, 1) + bytes(16)
    write("ring", "one_packet", struct.pack("<IIIH", 32, 0, 0, 511) + pkt)
    # fuzz_vmbus_guest: an offer, a rescind and a GPADL answer.
    offer = struct.pack("<II", 1, 0) + bytes(176) + struct.pack(
        "<IBBHI", 9, 0, 0, 1, 0x2009)
    rescind = struct.pack("<III", 2, 0, 1)
    created = struct.pack("<IIIII", 10, 0, 1, 0xE1E1, 0)
    write("vmbus_guest", "messages",
          bytes([len(offer)]) + offer + bytes([len(rescind)]) + rescind +
          bytes([len(created)]) + created)
    # fuzz_vmbus_guest: sub-channels of the echo device (relid 1): two
    # offers with its class and instance, one of another instance, then
    # rescinds of a sub-channel and of the primary.
    cls = struct.pack("<IHH", 0x12345678, 0x1111, 0x2222) + bytes.fromhex(
        "3333444455556666")
    inst = struct.pack("<IHH", 0xEC400001, 0, 0) + bytes(7) + b"\x01"
    other = struct.pack("<IHH", 0xEC400002, 0, 0) + bytes(7) + b"\x02"

    def sub_offer(instance, index, relid):
        return (struct.pack("<II", 1, 0) + cls + instance + bytes(16) +
                struct.pack("<HH", 0, 1) + bytes(120) +
                struct.pack("<HHIBBHI", index, 0, relid, 0, 0, 1,
                            0x2000 + relid))

    msgs = [sub_offer(inst, 1, 20), sub_offer(inst, 2, 21),
            sub_offer(other, 1, 22), struct.pack("<III", 2, 0, 21),
            struct.pack("<III", 2, 0, 1)]
    write("vmbus_guest", "subchannels",
          b"".join(bytes([len(m)]) + m for m in msgs))
    # fuzz_vmbus_guest: more sub-channel offers than the target's list has
    # room for (four, in descending index order).
    many = [sub_offer(inst, i, 19 + i) for i in (4, 3, 2, 1)]
    write("vmbus_guest", "many_subchannels",
          b"".join(bytes([len(m)]) + m for m in many))


if __name__ == "__main__":
    main()

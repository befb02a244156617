"""Reads classic pcap and pcapng files for the end-to-end tests (standard library only).

read(path) -> (linktype, [Packet]) where Packet has ts (float seconds), data (bytes) and
direction (0 unknown, 1 inbound = to the target, 2 outbound = from the target: the pcapng
epb_flags bits; always 0 in classic files).  One interface per file is all our writers use;
a second one, or a block type other than SHB/IDB/EPB/SPB, is an error.
"""
import collections
import struct

Packet = collections.namedtuple("Packet", "ts data direction")


def _classic(d):
    magic = struct.unpack("<I", d[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        e = "<"
    else:
        e, magic = ">", struct.unpack(">I", d[:4])[0]
    div = 1e9 if magic == 0xa1b23c4d else 1e6
    link = struct.unpack(e + "I", d[20:24])[0]
    off, out = 24, []
    while off < len(d):
        sec, frac, incl, _ = struct.unpack(e + "IIII", d[off:off + 16])
        out.append(Packet(sec + frac / div, d[off + 16:off + 16 + incl], 0))
        off += 16 + incl
    if off != len(d):
        raise ValueError("truncated classic pcap")
    return link, out


def _options(body, e):
    off, opts = 0, []
    while off + 4 <= len(body):
        code, n = struct.unpack(e + "HH", body[off:off + 4])
        if code == 0:
            break
        opts.append((code, body[off + 4:off + 4 + n]))
        off += 4 + n + (-n % 4)
    return opts


def _ng(d):
    e, off, link, res, out = None, 0, None, 1e6, []
    while off < len(d):
        if e is None or struct.unpack(e + "I", d[off:off + 4])[0] == 0x0a0d0d0a:
            e = "<" if d[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        btype, blen = struct.unpack(e + "II", d[off:off + 8])
        if blen < 12 or blen % 4 or off + blen > len(d) or \
                struct.unpack(e + "I", d[off + blen - 4:off + blen])[0] != blen:
            raise ValueError("bad pcapng block at %d" % off)
        body = d[off + 8:off + blen - 4]
        if btype == 0x0a0d0d0a:
            pass
        elif btype == 1:
            if link is not None:
                raise ValueError("more than one interface")
            link = struct.unpack(e + "H", body[:2])[0]
            for code, v in _options(body[8:], e):
                if code == 9:  # if_tsresol
                    res = 2.0 ** (v[0] & 0x7f) if v[0] & 0x80 else 10.0 ** v[0]
        elif btype == 6:
            _, hi, lo, cap, _ = struct.unpack(e + "IIIII", body[:20])
            flags = 0
            for code, v in _options(body[20 + cap + (-cap % 4):], e):
                if code == 2:
                    flags = struct.unpack(e + "I", v)[0]
            out.append(Packet(((hi << 32) | lo) / res, body[20:20 + cap], flags & 3))
        elif btype == 3:
            orig = struct.unpack(e + "I", body[:4])[0]
            out.append(Packet(0.0, body[4:4 + orig], 0))
        else:
            raise ValueError("pcapng block type %#x" % btype)
        off += blen
    return link, out


def read(path):
    with open(path, "rb") as f:
        d = f.read()
    if d[:4] == b"\x0a\x0d\x0d\x0a":
        return _ng(d)
    return _classic(d)

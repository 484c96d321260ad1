"""Rewrite the SPS of an Annex-B H.264 stream so that it claims another picture size.

Makes a tiny file whose bitstream (not just its container) says 8192×8192: the decoder
believes it, so the probe reports it, which is what a "pixel bomb" upload looks like.
"""

from __future__ import annotations

_HIGH_PROFILES = {100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135}


class _BitReader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def bits(self, count: int) -> int:
        value = 0
        for _ in range(count):
            byte = self.data[self.pos // 8]
            value = (value << 1) | ((byte >> (7 - self.pos % 8)) & 1)
            self.pos += 1
        return value

    def golomb(self) -> int:
        zeros = 0
        while self.bits(1) == 0:
            zeros += 1
        return (1 << zeros) - 1 + self.bits(zeros)


class _BitWriter:
    def __init__(self) -> None:
        self.out: list[int] = []

    def bits(self, count: int, value: int) -> None:
        self.out.extend((value >> (count - 1 - i)) & 1 for i in range(count))

    def golomb(self, value: int) -> None:
        code = value + 1
        self.bits(code.bit_length() - 1, 0)
        self.bits(code.bit_length(), code)

    def to_bytes(self) -> bytes:
        padded = self.out + [0] * (-len(self.out) % 8)
        return bytes(int("".join(map(str, padded[i : i + 8])), 2) for i in range(0, len(padded), 8))


def _unescape(data: bytes) -> bytes:
    return data.replace(b"\x00\x00\x03", b"\x00\x00")


def _escape(data: bytes) -> bytes:
    out = bytearray()
    zeros = 0
    for byte in data:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def _patch_sps(rbsp: bytes, width_mbs: int, height_mbs: int) -> bytes:
    reader, writer = _BitReader(rbsp), _BitWriter()

    def copy(count: int) -> int:
        value = reader.bits(count)
        writer.bits(count, value)
        return value

    def copy_golomb() -> int:
        value = reader.golomb()
        writer.golomb(value)
        return value

    copy(8)  # NAL header
    profile = copy(8)
    copy(8)  # constraint flags
    copy(8)  # level
    copy_golomb()  # seq_parameter_set_id
    if profile in _HIGH_PROFILES:
        if copy_golomb() == 3:  # chroma_format_idc
            copy(1)
        copy_golomb()  # bit depth luma
        copy_golomb()  # bit depth chroma
        copy(1)
        if copy(1):
            raise ValueError("scaling matrices are not supported here")
    copy_golomb()  # log2_max_frame_num_minus4
    poc_type = copy_golomb()
    if poc_type == 0:
        copy_golomb()
    elif poc_type == 1:
        raise ValueError("pic_order_cnt_type 1 is not supported here")
    copy_golomb()  # max_num_ref_frames
    copy(1)  # gaps_in_frame_num_allowed
    reader.golomb()
    reader.golomb()
    writer.golomb(width_mbs - 1)
    writer.golomb(height_mbs - 1)
    while reader.pos < len(rbsp) * 8:
        copy(1)
    return writer.to_bytes()


def claim_picture_size(annex_b: bytes, width: int, height: int) -> bytes:
    """Every SPS in ``annex_b`` now says ``width``×``height`` (multiples of 16)."""
    parts = annex_b.split(b"\x00\x00\x01")
    for number, part in enumerate(parts):
        if part and (part[0] & 0x1F) == 7:
            trailing = len(part) - len(part.rstrip(b"\x00"))
            body = _unescape(part[: len(part) - trailing])
            patched = _patch_sps(body, width // 16, height // 16)
            parts[number] = _escape(patched) + b"\x00" * trailing
    return b"\x00\x00\x01".join(parts)

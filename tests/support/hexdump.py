"""Bytes as `hexdump -C` prints them, which is what the page's hex view shows."""


def hexdump(data: bytes) -> list[str]:
    """The lines of `hexdump -C` (without its closing offset line)."""
    lines = []
    for offset in range(0, len(data), 16):
        chunk = data[offset : offset + 16]
        cells = [f"{byte:02x}" for byte in chunk] + ["  "] * (16 - len(chunk))
        ascii_ = "".join(chr(byte) if 0x20 <= byte < 0x7F else "." for byte in chunk)
        lines.append(f"{offset:08x}  {' '.join(cells[:8])}  {' '.join(cells[8:])}  |{ascii_}|")
    return lines

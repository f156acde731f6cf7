"""Request bodies as SDKs send them: plain or gzip, deflate, br, zstd; never past a limit.

Every decoder is driven with a bounded output size, so a small bomb (1 KB of gzip that
expands to gigabytes) stops as soon as the output passes the limit, having allocated at most
the limit plus one chunk.
"""

from __future__ import annotations

import zlib
from typing import BinaryIO

import brotli
import zstandard

CHUNK = 64 * 1024


class TooLarge(Exception):
    """The body, decompressed, is over the limit."""


class BadEncoding(Exception):
    """The body is not what its Content-Encoding says, or the encoding is unknown."""


def read_body(stream: BinaryIO, encoding: str, limit: int) -> bytes:
    """The decompressed body of a request, at most `limit` bytes (else TooLarge)."""
    encodings = [part.strip().lower() for part in encoding.split(",") if part.strip()]
    # A chain such as "gzip, br" was applied left to right: undo it right to left. Each
    # intermediate result obeys the same limit.
    data = _read_limited(stream, limit)
    for name in reversed(encodings):
        data = decode(data, name, limit)
    return data


def decode(data: bytes, encoding: str, limit: int) -> bytes:
    if encoding in ("", "identity"):
        return data
    if encoding in ("gzip", "x-gzip"):
        return _zlib(data, zlib.MAX_WBITS | 16, limit)
    if encoding == "deflate":
        # HTTP's deflate is zlib-wrapped, but some clients send raw deflate: a zlib stream
        # starts with a header whose first two bytes are a multiple of 31.
        wrapped = len(data) >= 2 and (data[0] & 0x0F) == 8 and (data[0] << 8 | data[1]) % 31 == 0
        return _zlib(data, zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS, limit)
    if encoding == "br":
        return _brotli(data, limit)
    if encoding == "zstd":
        return _zstd(data, limit)
    raise BadEncoding(f"unsupported Content-Encoding {encoding!r}")


def _read_limited(stream: BinaryIO, limit: int) -> bytes:
    parts, size = [], 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise TooLarge
        parts.append(chunk)
    return b"".join(parts)


def _zlib(data: bytes, wbits: int, limit: int) -> bytes:
    out, size = [], 0
    while data:
        decoder = zlib.decompressobj(wbits)
        pending = data
        try:
            while pending and not decoder.eof:
                piece = decoder.decompress(pending, CHUNK)
                size += len(piece)
                if size > limit:
                    raise TooLarge
                out.append(piece)
                pending = decoder.unconsumed_tail
            if not decoder.eof:
                # Flush what is buffered, still in bounded steps.
                while piece := decoder.decompress(b"", CHUNK):
                    size += len(piece)
                    if size > limit:
                        raise TooLarge
                    out.append(piece)
                raise BadEncoding("truncated compressed body")
        except zlib.error as error:
            raise BadEncoding(f"invalid compressed body: {error}") from None
        # gzip allows several members one after another; anything else after the end is junk.
        data = decoder.unused_data
        if data and not wbits & 16:
            raise BadEncoding("data after the end of the compressed body")
    return b"".join(out)


def _brotli(data: bytes, limit: int) -> bytes:
    decoder = brotli.Decompressor()
    out, size = [], 0
    try:
        piece = decoder.process(data, output_buffer_limit=CHUNK)
        while True:
            size += len(piece)
            if size > limit:
                raise TooLarge
            out.append(piece)
            if decoder.is_finished() or decoder.can_accept_more_data():
                break
            piece = decoder.process(b"", output_buffer_limit=CHUNK)
    except brotli.error as error:
        raise BadEncoding(f"invalid brotli body: {error}") from None
    if not decoder.is_finished():
        raise BadEncoding("truncated brotli body")
    return b"".join(out)


def _zstd(data: bytes, limit: int) -> bytes:
    reader = zstandard.ZstdDecompressor().stream_reader(data, read_across_frames=True)
    out, size = [], 0
    try:
        while piece := reader.read(CHUNK):
            size += len(piece)
            if size > limit:
                raise TooLarge
            out.append(piece)
    except zstandard.ZstdError as error:
        raise BadEncoding(f"invalid zstd body: {error}") from None
    return b"".join(out)

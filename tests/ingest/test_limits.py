"""Bodies over the limit are refused while decompressing, before they take the memory."""

from __future__ import annotations

import functools
import gzip
import io
import tracemalloc
import zlib

import brotli
import pytest
import zstandard

from ingest.decompress import TooLarge, read_body
from tests.ingest.helpers import post_envelope
from tracker.models import Event

LIMIT = 1024 * 1024


def zeros(total: int, chunk: int = 1024 * 1024):
    for _ in range(total // chunk):
        yield bytes(chunk)


def gzip_bomb(total: int) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as f:
        for part in zeros(total):
            f.write(part)
    return out.getvalue()


def deflate_bomb(total: int) -> bytes:
    compressor = zlib.compressobj(9)
    return b"".join(compressor.compress(p) for p in zeros(total)) + compressor.flush()


def brotli_bomb(total: int) -> bytes:
    compressor = brotli.Compressor(quality=5)
    return b"".join(compressor.process(p) for p in zeros(total)) + compressor.finish()


def zstd_bomb(total: int) -> bytes:
    compressor = zstandard.ZstdCompressor(level=3).compressobj()
    return b"".join(compressor.compress(p) for p in zeros(total)) + compressor.flush()


BOMBS = ["gzip", "deflate", "br", "zstd"]


@functools.cache
def bomb(encoding: str) -> bytes:
    # gzip and deflate expand about 1000 times: 16 MiB comes from ~16 KB. brotli and zstd
    # expand far more: 1 GiB of zeros in about a kilobyte.
    make = {"gzip": gzip_bomb, "deflate": deflate_bomb, "br": brotli_bomb, "zstd": zstd_bomb}
    size = 16 * 1024 * 1024 if encoding in ("gzip", "deflate") else 1024 * 1024 * 1024
    return make[encoding](size)


@pytest.mark.parametrize("encoding", BOMBS)
def test_bomb_stops_at_the_limit_without_allocating_it_all(encoding):
    body = bomb(encoding)
    tracemalloc.start()
    try:
        with pytest.raises(TooLarge):
            read_body(io.BytesIO(body), encoding, LIMIT)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The limit, one chunk over it, and the joined parts: never the gigabyte.
    assert peak < 3 * LIMIT + len(body)


def test_small_brotli_and_zstd_bombs_really_are_small():
    assert len(bomb("br")) < 2048
    assert len(bomb("zstd")) < 64 * 1024


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", BOMBS)
def test_bomb_is_413_at_the_endpoint(client, project, settings, encoding):
    settings.INGEST_MAX_BODY_BYTES = LIMIT
    response = post_envelope(
        client, project, bomb(encoding), project.keys.get(), HTTP_CONTENT_ENCODING=encoding
    )
    assert response.status_code == 413
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_plain_body_over_the_limit_is_413(client, project, settings):
    settings.INGEST_MAX_BODY_BYTES = LIMIT
    response = post_envelope(client, project, b"{}\n" + bytes(LIMIT), project.keys.get())
    assert response.status_code == 413

"""Weights files: downloaded once into the torch hub cache, hash-checked, never left half-written.

The file goes to `torch.hub.get_dir()/checkpoints` (where torchvision and timm cache theirs, so a file
torchvision already fetched is reused). A download is written to a temporary file in that folder, its
SHA-256 computed while it streams, compared with the published one, and only then renamed into place
(`os.replace`, atomic): a wrong hash, a truncated transfer, an unreachable host or Ctrl-C leave nothing
in the cache. Written here rather than with `torch.hub.download_url_to_file` to give one error that
names the file and what to do, and to report the full digest of files whose hash is not published.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import warnings
from http.client import HTTPException
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paperzoo.weights.catalog import Weights

__all__ = ["WeightsError", "cache_dir", "fetch_weights_file", "sha256_of"]

CHUNK = 1 << 20
TIMEOUT_S = 30.0


class WeightsError(RuntimeError):
    """A weights file could not be obtained or is not the published file; the message says what to do."""


def cache_dir() -> Path:
    """`torch.hub.get_dir()/checkpoints`, the cache torchvision and timm use (honours `TORCH_HOME`)."""
    import torch.hub

    return Path(torch.hub.get_dir()) / "checkpoints"


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check_digest(weights: Weights, digest: str, where: str) -> None:
    if weights.sha256 is None:
        warnings.warn(
            f"{weights.file_name} ({weights.name}) has no published SHA-256 to check; loaded from {where} "
            f"with SHA-256 {digest} (allow_unverified=True)",
            stacklevel=4,
        )
    elif not digest.startswith(weights.sha256):
        raise WeightsError(
            f"{weights.file_name} from {where} is not the published file of {weights.name}: its SHA-256 "
            f"is {digest}, expected one starting with {weights.sha256}. Download it again from "
            f"{weights.url} (a partial or altered copy does not load)"
        )


def _refuse_unverified(weights: Weights) -> None:
    if weights.sha256 is None and not weights.allow_unverified:
        raise WeightsError(
            f"{weights.name} ({weights.file_name}) has no published SHA-256 that paperzoo could check, "
            "so it is not loaded by default. Pass allow_unverified=True to load it anyway (its digest "
            "is then shown in a warning), or choose weights with a known hash (paperzoo.list_weights())"
        )


def fetch_weights_file(weights: Weights, *, progress: bool = True) -> Path:
    """The checked local path of `weights`: its `local_file`, the cached copy, or a fresh download.

    Args:
        weights: The entry to fetch (see `Weights.using` for a local file).
        progress: Show a tqdm progress bar while downloading.

    Raises:
        WeightsError: Unknown hash without `allow_unverified`, a missing local file, a hash mismatch, a
            truncated download or an unreachable host. The cache is left without the file.
    """
    _refuse_unverified(weights)
    if weights.local_file is not None:
        path = Path(weights.local_file)
        if not path.is_file():
            raise WeightsError(f"weights_file {path} does not exist (expected a copy of {weights.url})")
        _check_digest(weights, sha256_of(path), str(path))
        return path
    target = cache_dir() / weights.file_name
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            digest = _download(weights, file, progress)
        _check_digest(weights, digest, weights.url)
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return target


def _download(weights: Weights, file, progress: bool) -> str:
    """Stream `weights.url` into `file`; return the hex SHA-256 of what was received."""
    from tqdm.auto import tqdm

    digest = hashlib.sha256()
    received = 0
    advice = (
        f"check the network, or download {weights.url} by other means and pass "
        f"weights_file=PATH (paperzoo.create_model) to use that copy"
    )
    try:
        with urllib.request.urlopen(weights.url, timeout=TIMEOUT_S) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length is not None else None
            with tqdm(
                total=total, unit="B", unit_scale=True, desc=weights.file_name, disable=not progress
            ) as bar:
                while chunk := response.read(CHUNK):
                    file.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
    except (urllib.error.URLError, HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        if isinstance(exc, HTTPException) or received:
            raise WeightsError(
                f"download of {weights.file_name} was cut off after {received} bytes ({reason}); {advice}"
            ) from None
        raise WeightsError(
            f"could not download {weights.file_name} from {weights.url} ({reason}); {advice}"
        ) from None
    if total is not None and received != total:
        raise WeightsError(
            f"download of {weights.file_name} is truncated: {received} of {total} bytes; {advice}"
        )
    return digest.hexdigest()

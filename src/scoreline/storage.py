"""Folders and files wherever they live: a local path or an object store URL (``s3://bucket/prefix``).

Every option that takes a folder or an output path takes an ``s3://`` URL too; this module is the one seam
between scoreline and the file systems, through fsspec (s3fs for ``s3://``, from the ``aws`` extra, imported
only when such a URL is used). Local paths go through the same calls (fsspec's local file system).

* Listing (:func:`list_files`) gives each file's path and, in an object store, its ETag, which the
  football-data source uses like an HTTP ETag: an object whose ETag has not changed is not read again.
* Writing is all-or-nothing: a local file through :mod:`scoreline.io` (temporary file, rename); an object
  with one PUT of a finished local file (:func:`staged_file`, :func:`staged_folder`), so a failed or
  interrupted run never leaves a partial object behind.
* Credentials come only from the standard AWS chain (environment, shared profile, instance or task role);
  the endpoint from ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` (MinIO, a local test server), both read
  by botocore itself. Retries are botocore's, bounded by ``AWS_MAX_ATTEMPTS`` / ``AWS_RETRY_MODE``; s3fs adds
  none of its own on top.
* A missing bucket, refused credentials, throttling after the retries or an unreachable endpoint end in a
  :class:`StorageError`: one line naming the URL (redacted), never a secret.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scoreline.errors import ConfigurationError, UserError
from scoreline.io import atomic_path, write_atomic
from scoreline.redaction import redact

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

OBJECT_STORE_SCHEMES = ("s3",)
AWS_EXTRA_HINT = "install the aws extra: pip install 'scoreline[aws]'"
CREDENTIALS_HINT = (
    "check the AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the instance role)"
)
ENDPOINT_HINT = "check AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (unset for AWS itself) and the network"
THROTTLED_HINT = "the endpoint asks for fewer requests: wait and rerun (unchanged files are skipped)"
_THROTTLING_CODES = frozenset(
    {"SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "503"}
)
_CREDENTIAL_CODES = frozenset(
    {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "403"}
)


_S3_FILE_SYSTEMS: dict[tuple[tuple[str, str], ...], AbstractFileSystem] = {}


class StorageError(UserError):
    """An object store could not be used: no such bucket, credentials refused, throttled, unreachable.

    Exit status 2 when the command or settings must change (the URL, the credentials), else 1.
    """

    def __init__(self, message: str, hint: str = "", exit_code: int = 1) -> None:
        super().__init__(message, hint)
        self.exit_code = exit_code


@dataclass(frozen=True)
class StoredFile:
    """A file found by :func:`list_files`."""

    path: Path | str  # the local path or the object's URL, for read_bytes
    relative: str  # under the listed folder, "/"-separated: "E0/2324.csv"
    etag: str | None  # the object store's ETag (None for local files)


def is_object_url(location: str | Path) -> bool:
    """True for an object store URL such as ``s3://bucket/prefix`` (a local path otherwise)."""
    return isinstance(location, str) and "://" in location and not location.startswith("file://")


def join(location: str | Path, *parts: str) -> str | Path:
    """``location / part / ...`` for a local path or an object URL (kept as the type it came in)."""
    if is_object_url(location):
        return "/".join([str(location).rstrip("/"), *parts])
    return Path(location).joinpath(*parts)


def shown(location: str | Path) -> str:
    """``location`` fit for a message or a log line (no password, token or signature)."""
    return redact(str(location))


def _filesystem(location: str | Path) -> tuple[AbstractFileSystem, str]:
    """The fsspec file system holding ``location`` and the path within it."""
    if not is_object_url(location):
        from fsspec.implementations.local import LocalFileSystem

        return LocalFileSystem(), str(Path(location).expanduser().absolute())
    scheme = urlsplit(str(location)).scheme
    if scheme not in OBJECT_STORE_SCHEMES:
        raise ConfigurationError(
            f"unsupported URL scheme {scheme}:// in {shown(location)}",
            f"use a local path or one of {', '.join(s + '://' for s in OBJECT_STORE_SCHEMES)}",
        )
    return _s3(location), str(location).split("://", 1)[1].rstrip("/")


def _s3(location: str | Path) -> AbstractFileSystem:
    """The s3fs file system of the AWS configuration in the environment now: one per configuration and
    process, as making an S3 client costs about half a second."""
    configuration = tuple(
        sorted((name, value) for name, value in os.environ.items() if name.startswith("AWS_"))
    )
    if configuration not in _S3_FILE_SYSTEMS:
        try:
            import s3fs
        except ImportError as error:
            raise ConfigurationError(f"{shown(location)}: s3:// URLs need s3fs", AWS_EXTRA_HINT) from error
        # Fresh listings on every call (ETags must be current); botocore alone retries, within its bounds.
        fs = s3fs.S3FileSystem(skip_instance_cache=True, use_listings_cache=False)
        fs.retries = 1  # one attempt at s3fs's level: botocore's retry policy is the only one
        _S3_FILE_SYSTEMS[configuration] = fs
    return _S3_FILE_SYSTEMS[configuration]


@contextmanager
def _errors(location: str | Path) -> Iterator[None]:
    """Turn an object store's failure while using ``location`` into a one-line :class:`StorageError`."""
    if not is_object_url(location):
        yield
        return
    try:
        yield
    except UserError:
        raise
    except Exception as error:
        raise _describe(error, location) from error


def _describe(error: Exception, location: str | Path) -> Exception:
    code = _error_code(error)
    url = shown(location)
    kind = type(error).__name__
    message = redact(str(error).splitlines()[0] if str(error).strip() else kind)
    if kind in {"NoCredentialsError", "PartialCredentialsError"}:
        return StorageError(f"no AWS credentials for {url}: {message}", CREDENTIALS_HINT, exit_code=2)
    if code == "NoSuchBucket":
        return StorageError(f"no such bucket: {url}", "create the bucket or check the URL", exit_code=2)
    if code in _CREDENTIAL_CODES or isinstance(error, PermissionError):
        return StorageError(f"access to {url} refused: {message}", CREDENTIALS_HINT, exit_code=2)
    if code in _THROTTLING_CODES:
        return StorageError(f"{url}: the endpoint throttled the requests ({message})", THROTTLED_HINT)
    if kind in {
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "ConnectionClosedError",
    }:
        return StorageError(f"cannot reach the S3 endpoint for {url}: {message}", ENDPOINT_HINT)
    if isinstance(error, FileNotFoundError):
        return error
    return StorageError(f"{url}: {kind}: {message}", ENDPOINT_HINT)


def _error_code(error: BaseException) -> str | None:
    """The S3 error code (``NoSuchBucket``, ``SlowDown``...) of ``error`` or of the botocore error in it."""
    for candidate in (error, error.__cause__):
        response = getattr(candidate, "response", None)
        if isinstance(response, dict):
            return str(response.get("Error", {}).get("Code") or "") or None
    return None


def list_files(folder: str | Path, pattern: str) -> list[StoredFile]:
    """Files under ``folder`` matching the glob ``pattern`` (e.g. ``"*/*.csv"``), sorted by relative path.

    ``FileNotFoundError`` when the folder does not exist (for an object store: the bucket; a prefix with no
    objects is an empty folder); :class:`StorageError` when the store cannot be used.
    """
    with _errors(folder):
        fs, root = _filesystem(folder)
        if not is_object_url(folder) and not fs.isdir(root):
            raise FileNotFoundError(f"no folder {folder}")
        # s3fs lists a whole prefix in one paged request and raises its errors (a glob would swallow them)
        depth = None if is_object_url(folder) else len(PurePosixPath(pattern).parts)
        found = fs.find(root, maxdepth=depth, detail=True)
    files = []
    for path, info in found.items():
        relative = path[len(root) + 1 :]
        if info.get("type") != "file" or not _matches(relative, pattern):
            continue
        location = join(folder, *relative.split("/"))
        files.append(StoredFile(location, relative, info.get("ETag")))
    return sorted(files, key=lambda file: file.relative)


def _matches(relative: str, pattern: str) -> bool:
    """True when each part of ``relative`` matches the glob at the same place in ``pattern``."""
    parts, globs = PurePosixPath(relative).parts, PurePosixPath(pattern).parts
    return len(parts) == len(globs) and all(map(fnmatchcase, parts, globs))


def list_folders(folder: str | Path) -> list[str]:
    """Names of the folders right under ``folder`` (object stores: the common prefixes)."""
    with _errors(folder):
        fs, root = _filesystem(folder)
        if not fs.isdir(root):
            return []
        entries = fs.ls(root, detail=True)
    return sorted(
        entry["name"].rstrip("/").rsplit("/", 1)[-1] for entry in entries if entry["type"] == "directory"
    )


def exists(location: str | Path) -> bool:
    """True when a file is at ``location``."""
    with _errors(location):
        fs, path = _filesystem(location)
        return bool(fs.isfile(path))


def read_bytes(location: str | Path) -> bytes:
    """The content of the file at ``location``."""
    with _errors(location):
        fs, path = _filesystem(location)
        return bytes(fs.cat_file(path))


def write_bytes(location: str | Path, content: bytes | str) -> str | Path:
    """Write ``content`` to ``location`` all at once (a local file atomically, an object in one PUT)."""
    if not is_object_url(location):
        return write_atomic(location, content)
    data = content.encode("utf-8") if isinstance(content, str) else content
    with _errors(location):
        fs, path = _filesystem(location)
        fs.pipe_file(path, data)
    return location


@contextmanager
def staged_file(target: str | Path) -> Iterator[Path]:
    """Yield a local path to write; when the block ends without error it becomes ``target``.

    A local target is renamed into place (:func:`scoreline.io.atomic_path`); an object is uploaded in one
    PUT. On failure nothing appears at ``target`` and what was there stays.
    """
    if not is_object_url(target):
        with atomic_path(target) as temporary:
            yield temporary
        return
    with tempfile.TemporaryDirectory(prefix="scoreline-upload-") as staging:
        local = Path(staging) / Path(urlsplit(str(target)).path).name
        yield local
        _upload(local, target)


@contextmanager
def staged_folder(
    target: str | Path, *, last: Sequence[str] = (), local_only: Sequence[str] = ()
) -> Iterator[Path]:
    """Yield a local folder to write into; when the block ends without error its files are at ``target``.

    A local target is the folder itself (its writers replace files atomically). For an object store the
    block writes into a staging folder under ``settings.cache_dir/staging`` (one per URL), whose files are
    then uploaded one PUT each, the names in ``last`` after all others (a reader that looks for them finds
    the rest complete). Subfolders named in ``local_only`` (a resume cache) stay in the staging folder for
    the next run; everything else is removed once uploaded. A failed block uploads nothing.
    """
    if not is_object_url(target):
        folder = Path(target)
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
        return
    from scoreline.settings import get_settings

    digest = hashlib.sha256(str(target).rstrip("/").encode()).hexdigest()[:16]
    folder = get_settings().cache_dir / "staging" / digest
    _clear(folder, keep=local_only)  # what an earlier failed run left is not this run's output
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    outputs = [
        path for path in sorted(folder.rglob("*")) if path.is_file() and not _kept(folder, path, local_only)
    ]
    for path in sorted(outputs, key=lambda path: path.name in last):
        _upload(path, join(target, *path.relative_to(folder).parts))
    _clear(folder, keep=local_only)


def _kept(folder: Path, path: Path, local_only: Sequence[str]) -> bool:
    """True when ``path`` lies in one of ``folder``'s subfolders named in ``local_only``."""
    return path.relative_to(folder).parts[0] in local_only


def _clear(folder: Path, keep: Sequence[str]) -> None:
    """Remove what ``folder`` holds but its subfolders named in ``keep``."""
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        if entry.name in keep:
            continue
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _upload(local: Path, target: str | Path) -> None:
    with _errors(target):
        fs, path = _filesystem(target)
        fs.put_file(os.fspath(local), path)

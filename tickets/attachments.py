"""What an uploaded file really is, decided from its bytes, never from its name or the browser.

Only types a desk needs and a browser cannot run are accepted. HTML and SVG are refused even as
downloads, because a file that is ever served inline by mistake would run script on our origin.
"""

import contextlib
import errno
import io
import re
import unicodedata
import zipfile
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from servicedesk.core.exceptions import DomainError, StorageFull

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # 10 MB: photos and scans of paperwork fit, videos do not
# The storage has no room: a full disk, a quota, or the process's file-size limit (RLIMIT_FSIZE).
NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})

OFFICE = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
MAGIC = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
]
# Markup that a browser would render: refused wherever it appears near the start of a text file.
MARKUP = re.compile(rb"<\s*(!doctype|html|head|body|script|svg|iframe|object|\?xml)", re.IGNORECASE)


def sniff_content_type(data: bytes, filename: str = "") -> str | None:
    """The content type of `data`, or None when it is not an accepted kind of file."""
    for magic, content_type in MAGIC:
        if data.startswith(magic):
            return content_type
    if data.startswith(b"PK\x03\x04"):
        return _office_type(data)
    return _text_type(data, filename)


def _office_type(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        return None
    if "[Content_Types].xml" not in names:
        return None  # a plain zip: could hold anything
    for prefix, content_type in OFFICE.items():
        if any(n.startswith(prefix) for n in names):
            return content_type
    return None


def _text_type(data: bytes, filename: str) -> str | None:
    if b"\x00" in data[:8192]:
        return None
    head = data[:4096]
    if MARKUP.search(head):
        return None
    for encoding in ("utf-8", "gb18030"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        is_csv = PurePath(filename).suffix.lower() == ".csv"
        return "text/csv" if is_csv else "text/plain"
    return None


def clean_filename(name: str) -> str:
    """A display name for the download: no path, no control characters, bounded length."""
    name = PurePath(name.replace("\\", "/")).name
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[-200:] or "attachment"


def check_upload(upload) -> tuple[bytes, str]:
    """Read an upload within the size limit and return its bytes and sniffed content type."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_ATTACHMENT_BYTES:
        raise DomainError(_too_big(), field="file", code="too_large")
    data = upload.read(MAX_ATTACHMENT_BYTES + 1)
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise DomainError(_too_big(), field="file", code="too_large")
    if not data:
        raise DomainError(_("The file is empty."), field="file")
    content_type = sniff_content_type(data, getattr(upload, "name", "") or "")
    if content_type is None:
        raise DomainError(
            _(
                "This kind of file is not accepted. Attach a PDF, an image (PNG, JPEG, GIF), "
                "a text or CSV file, or a Word, Excel or PowerPoint document."
            ),
            field="file",
            code="unsupported_type",
        )
    return data, content_type


def _too_big() -> str:
    return _("The file is larger than %(mb)d MB.") % {"mb": MAX_ATTACHMENT_BYTES // (1024 * 1024)}


def store_upload(field_file, data: bytes) -> None:
    """Write `data` to the field's storage under a fresh name from its upload_to, as
    FieldFile.save(save=False) does. When the storage has no room, the half-written file is
    removed and StorageFull raised, so the caller's transaction rolls back with nothing left."""
    field, storage = field_file.field, field_file.storage
    # The name is fixed before writing (FieldFile.save would draw a new one from upload_to), so
    # a failed write knows which file to remove.
    name = storage.get_available_name(
        field.generate_filename(field_file.instance, "upload"), max_length=field.max_length
    )
    try:
        saved = storage.save(name, ContentFile(data), max_length=field.max_length)
    except OSError as exc:
        if exc.errno not in NO_ROOM:
            raise
        with contextlib.suppress(OSError):
            storage.delete(name)
        raise StorageFull() from exc
    field_file.name = saved
    setattr(field_file.instance, field.attname, saved)
    field_file._committed = True  # as FieldFile.save leaves it

"""Attachment policy: size and type limits, safe names, and how files are stored.

Names come from e-mail headers and webhook payloads, so they are untrusted: only the last
path component is kept, control and shell characters are dropped, and the stored file gets
a random name (the original is kept for display and download). Executables and scripts are
refused by extension, by declared type and by their first bytes.
"""

from __future__ import annotations

import os
import re
import unicodedata
import uuid
from dataclasses import dataclass

from django.conf import settings

BLOCKED_EXTENSIONS = frozenset(
    {".exe", ".com", ".scr", ".pif", ".msi", ".msp", ".dll", ".cpl", ".bat", ".cmd", ".ps1", ".psm1", ".vbs", ".vbe"}
    | {".js", ".jse", ".wsf", ".wsh", ".hta", ".jar", ".lnk", ".reg", ".sh", ".app", ".apk"}
)
BLOCKED_CONTENT_TYPES = frozenset(
    {"application/x-msdownload", "application/x-msdos-program", "application/x-dosexec", "application/x-sh", "application/java-archive"}
)
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"#!")
MAX_NAME = 120


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""


def safe_filename(name: str) -> str:
    """A display/download name without paths, control characters or shell metacharacters."""
    name = unicodedata.normalize("NFKC", name or "")
    name = re.split(r"[\\/]", name)[-1]  # C:\fakepath\x.pdf and ../../etc/passwd alike
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")  # control, format, private use
    name = re.sub(r'[<>:"|?*;`$&\']', "_", name).strip(" .")
    if not name:
        return "attachment"
    stem, ext = os.path.splitext(name)
    return stem[: MAX_NAME - len(ext[:20])] + ext[:20]


def storage_name(name: str) -> str:
    """The name on disk: random, keeping only a short, plain extension."""
    ext = os.path.splitext(safe_filename(name))[1].lower()
    return uuid.uuid4().hex + (ext if re.fullmatch(r"\.[a-z0-9]{1,8}", ext) else "")


def check(name: str, content_type: str, content: bytes) -> Verdict:
    if len(content) > settings.MAX_ATTACHMENT_BYTES:
        return Verdict(False, f"larger than {settings.MAX_ATTACHMENT_BYTES} bytes")
    extensions = {ext.lower() for ext in re.findall(r"\.[^.]+", safe_filename(name))}  # invoice.pdf.exe has both
    blocked = extensions & (BLOCKED_EXTENSIONS | set(settings.ATTACHMENT_BLOCKED_EXTENSIONS))
    if blocked:
        return Verdict(False, f"file type {sorted(blocked)[0]} is not accepted")
    if content_type.split(";")[0].strip().lower() in BLOCKED_CONTENT_TYPES:
        return Verdict(False, f"content type {content_type} is not accepted")
    if content.startswith(EXECUTABLE_MAGIC):
        return Verdict(False, "executable content is not accepted")
    return Verdict(True)

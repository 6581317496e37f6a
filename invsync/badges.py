"""States drawn as words on a coloured badge, not as Django's green ✓ / red ✗ icons.

An icon says yes or no, not whether that is good: "stopped by the shop: no" came out as a red
✗, which reads as an error. A badge names the state and colours it by what it means. The
colours are in invsync/templates/admin/base_site.html (classes badge-ok, -info, -warning,
-error, -muted).
"""

from django.utils.html import format_html
from django.utils.safestring import SafeString

KINDS = ("ok", "info", "warning", "error", "muted")


def badge(text, kind: str) -> SafeString:
    """<span class="badge badge-KIND">text</span>; kind is one of KINDS."""
    if kind not in KINDS:
        raise ValueError(f"unknown badge kind {kind!r}")
    return format_html('<span class="badge badge-{}">{}</span>', kind, text)

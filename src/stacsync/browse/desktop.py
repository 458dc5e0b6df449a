"""Whether a web browser can be opened on this machine, and opening one."""

from __future__ import annotations

import sys
import webbrowser
from collections.abc import Mapping


def display_likely(environ: Mapping[str, str], platform: str = sys.platform) -> bool:
    """Whether a graphical session is likely, so that opening a web browser makes sense.

    macOS and Windows are assumed to have one unless in an SSH session; elsewhere an X11 or
    Wayland display must be set.
    """
    if environ.get("SSH_CONNECTION") and not environ.get("DISPLAY"):
        return False
    if platform == "darwin" or platform.startswith("win"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def open_in_browser(url: str) -> bool:
    """Open ``url`` in the user's web browser; whether one was found."""
    try:
        return webbrowser.open(url, new=2)
    except webbrowser.Error:
        return False

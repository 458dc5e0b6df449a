"""HTTP over urllib for the emulator tests: one request, its answer whatever the status."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import Any


@dataclass
class Reply:
    status: int
    headers: Message
    """Case-insensitive, as HTTP headers are."""
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def send(request: urllib.request.Request) -> Reply:
    """Send ``request``; error statuses are answers too, not exceptions."""
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, error.headers, error.read())

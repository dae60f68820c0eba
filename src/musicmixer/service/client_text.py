"""Text a client sees, made from text the pipeline wrote: no server paths, and
the user's own file names instead of the upload slots.

The pipeline names things for a command line: the export stage reports the
file it wrote (`/srv/.../remixes/<id>/base/remix.mp3`), decode errors name
`song_a.mp3`, the planner's explanation says "song A". The runner passes
every progress detail, error, warning and explanation through `ClientText`
before it is stored, so a path never reaches an event or a JSON answer and
"song_a" becomes "Night Drive.mp3".
"""

from __future__ import annotations

import os
import re

# an absolute path: a slash-led run of at least two components (no spaces, which
# the server's own folders do not need; quotes and brackets end it)
_ABS_PATH = re.compile(r"(?<![\w.])(?:/[^\s/'\"()\[\]{},;]+){2,}/?")
_SLOT_FILE = re.compile(r"\bsong_([ab])\.(?:mp3|wav)\b", re.IGNORECASE)
_SLOT = re.compile(r"\bsong_([ab])\b|\bsong ([AB])\b", re.IGNORECASE)


def strip_paths(text: str) -> str:
    """Each absolute path replaced by its last part (a file or folder name)."""
    return _ABS_PATH.sub(lambda m: os.path.basename(m.group(0).rstrip("/")) or "a file", text)


class ClientText:
    """`ClientText(names)(text)`: `names` maps "song_a"/"song_b" to the user's file names."""

    def __init__(self, names: dict[str, str] | None = None):
        self.files = {k[-1].lower(): v for k, v in (names or {}).items() if v}
        self.titles = {k: os.path.splitext(v)[0] or v for k, v in self.files.items()}

    def __call__(self, text: str | None) -> str:
        if not text:
            return text or ""
        text = strip_paths(text)
        if not self.files:
            return text
        text = _SLOT_FILE.sub(lambda m: self.files.get(m.group(1).lower(), m.group(0)), text)
        return _SLOT.sub(lambda m: self._title(m), text)

    def _title(self, m: re.Match) -> str:
        if m.group(2) is not None and m.group(0)[5] not in "AB":  # "song a": ordinary words
            return m.group(0)
        letter = (m.group(1) or m.group(2)).lower()
        return self.titles.get(letter, m.group(0))

    def result(self, result: dict) -> dict:
        """A job result with its explanation and warnings made client text."""
        out = dict(result)
        if "explanation" in out:
            out["explanation"] = self(out["explanation"])
        if "warnings" in out:
            out["warnings"] = [self(w) for w in out["warnings"]]
        if "versions" in out:
            out["versions"] = [{**v, "warnings": [self(w) for w in v.get("warnings", [])]}
                               for v in out["versions"]]
        return out

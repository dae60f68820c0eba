"""The upload of two songs and a prompt, checked while it streams in.

Starlette's own form parsing spools a whole upload to disk before the route
sees it; here the multipart body is parsed chunk by chunk, so a file is
refused the moment it passes the size limit, its first bytes are not audio,
or its WAV header promises more than the duration limit: an oversized upload
never fills the disk. After the body: the extension must match the content,
MP3s are checked for truncation against their frame count, and any refusal
removes every file written so far.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
from python_multipart.multipart import MultipartParser, parse_options_header

from musicmixer.analysis.analyze import MIN_DURATION_S, SILENT_DBFS
from musicmixer.errors import MusicMixerError

FILE_FIELDS = ("song_a", "song_b")
ALLOWED_EXTENSIONS = (".mp3", ".wav")
MAX_PARTS = 32
MAX_FIELD_BYTES = 4096  # any text field but the prompt
_NAME_OK = re.compile(r"^[^/\\\x00-\x1f]{1,255}$")


class UploadError(MusicMixerError):
    """An upload the server refuses; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


@dataclass
class Upload:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)  # field -> saved path
    names: dict[str, str] = field(default_factory=dict)  # field -> the client's file name


def check_file_name(label: str, name: str) -> str:
    """A plain file name with an allowed extension; path-like names are refused."""
    if not name:
        raise UploadError(f"{label}: the file has no name; choose an .mp3 or .wav file.", 400)
    if not _NAME_OK.match(name) or name in (".", "..") or ".." in name.split("."):
        raise UploadError(f"{label}: the file name {name[:80]!r} looks like a path; send a plain "
                          "file name such as song.mp3.", 400)
    ext = os.path.splitext(name)[1].lower()
    if ext not in ALLOWED_EXTENSIONS:
        raise UploadError(f"{label}: {name!r} is not an MP3 or WAV file (only .mp3 and .wav "
                          "are accepted).", 415)
    return ext


def display_name(name: str, limit: int = 80) -> str:
    """The user's file name as shown in progress, explanation and errors: no control
    characters or path parts (the upload refused those already), spaces collapsed,
    at most `limit` characters with the extension kept."""
    name = " ".join("".join(c for c in name if c.isprintable()).split()) or "song"
    if len(name) <= limit:
        return name
    stem, ext = os.path.splitext(name)
    return stem[:limit - len(ext) - 1] + "…" + ext


def sniff(head: bytes) -> str | None:
    """The container the first bytes show: '.wav', '.mp3' or None."""
    if len(head) >= 12 and head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return ".wav"
    if head[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0):
        return ".mp3"
    return None


def wav_seconds(head: bytes) -> float | None:
    """Duration a WAV header declares (None if the chunks are not in the first bytes)."""
    pos, byte_rate = 12, None
    while pos + 8 <= len(head):
        chunk, size = head[pos:pos + 4], int.from_bytes(head[pos + 4:pos + 8], "little")
        if chunk == b"fmt " and pos + 16 <= len(head):
            byte_rate = int.from_bytes(head[pos + 16:pos + 20], "little")
        if chunk == b"data":
            if not byte_rate or size in (0, 0xFFFFFFFF):
                return None
            return size / byte_rate
        pos += 8 + size + (size & 1)
    return None


class _FilePart:
    """One song being written: size and content checked as bytes arrive."""

    HEAD = 4096

    def __init__(self, label: str, name: str, path: Path, max_bytes: int, max_seconds: float):
        self.label, self.name, self.path = label, name, path
        self.ext = check_file_name(label, name)
        self.max_bytes, self.max_seconds = max_bytes, max_seconds
        self.size, self.head, self.checked = 0, b"", False
        self.fh = open(path, "wb")  # noqa: SIM115 - open across write() calls; close() shuts it

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_bytes:
            raise UploadError(f"{self.label}: {self.name!r} is over the "
                              f"{self.max_bytes / 1e6:g} MB limit.", 413)
        if not self.checked:
            self.head += data[:self.HEAD]
            if len(self.head) >= self.HEAD:
                self.check_head()
        self.fh.write(data)

    def check_head(self) -> None:
        self.checked = True
        kind = sniff(self.head)
        if kind is None:
            raise UploadError(f"{self.label}: {self.name!r} is not audio (its content is not MP3 "
                              "or WAV).", 415)
        if kind != self.ext:
            raise UploadError(f"{self.label}: {self.name!r} is named {self.ext} but holds "
                              f"{kind[1:].upper()} audio; rename it or export it again.", 415)
        seconds = wav_seconds(self.head) if kind == ".wav" else None
        if seconds is not None and seconds > self.max_seconds:
            raise too_long(self.label, self.name, seconds, self.max_seconds)

    def close(self) -> None:
        self.fh.close()
        if self.size == 0:
            raise UploadError(f"{self.label}: {self.name!r} is empty.", 422)
        if not self.checked:
            self.check_head()


def too_long(label: str, name: str, seconds: float, limit: float) -> UploadError:
    return UploadError(f"{label}: {name!r} is {seconds / 60:.1f} minutes long; songs can be at "
                       f"most {limit / 60:g} minutes.", 422)


class StreamingForm:
    """Feed it the body chunk by chunk; it writes songs into `folder`."""

    def __init__(self, content_type: str, folder: Path, *, max_bytes: int, max_seconds: float,
                 max_prompt_chars: int):
        ctype, params = parse_options_header(content_type or "")
        boundary = params.get(b"boundary")
        if ctype != b"multipart/form-data" or not boundary:
            raise UploadError("Send the songs as multipart/form-data (fields song_a, song_b "
                              "and prompt).", 415)
        self.folder, self.max_bytes, self.max_seconds = folder, max_bytes, max_seconds
        self.max_text = max(max_prompt_chars * 4, MAX_FIELD_BYTES)
        self.result = Upload()
        self.error: UploadError | None = None
        self._parts, self._field, self._value = 0, b"", b""
        self._headers: dict[bytes, bytes] = {}
        self._current: _FilePart | None = None
        self._text: bytearray | None = None
        self._name = ""
        self.parser = MultipartParser(boundary, {
            "on_part_begin": self._begin, "on_header_field": self._hfield,
            "on_header_value": self._hvalue, "on_header_end": self._hend,
            "on_headers_finished": self._headers_done, "on_part_data": self._data,
            "on_part_end": self._end})

    def feed(self, chunk: bytes) -> None:
        """Parse a chunk; after a refusal the rest of the body is read and dropped."""
        if self.error is not None:
            return
        try:
            self.parser.write(chunk)
        except UploadError as exc:
            self.fail(exc)
        except Exception as exc:  # the multipart parser's own errors
            self.fail(UploadError(f"The upload is not valid multipart/form-data ({exc}).", 400))

    def fail(self, exc: UploadError) -> None:
        self.error = exc
        if self._current is not None:
            self._current.fh.close()
        self.discard()

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def finish(self) -> Upload:
        if self.error is None:
            try:
                self.parser.finalize()
            except Exception as exc:
                self.fail(UploadError(f"The upload ended early or is malformed ({exc}).", 400))
        if self.error is None and self._current is not None:
            self.fail(UploadError("The upload ended in the middle of a file.", 400))
        if self.error is not None:
            raise self.error
        return self.result

    # --- parser callbacks -------------------------------------------------
    def _begin(self) -> None:
        self._parts += 1
        if self._parts > MAX_PARTS:
            raise UploadError("The form has too many fields.", 400)
        self._headers = {}

    def _hfield(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _hvalue(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _hend(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def _headers_done(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        filename = params.get(b"filename")
        self._name = name
        if name in self.result.fields or name in self.result.files:
            raise UploadError(f"The field {name!r} was sent twice.", 400)
        if filename is not None:
            if name not in FILE_FIELDS:
                raise UploadError(f"Unexpected file field {name!r}; send song_a and song_b.", 400)
            client_name = filename.decode("utf-8", "replace")
            ext = check_file_name(name, client_name)
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{name}{ext}"  # never the client's name on disk
            self._current = _FilePart(name, client_name, path, self.max_bytes, self.max_seconds)
        else:
            self._text = bytearray()

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._current is not None:
            self._current.write(data[start:end])
        elif self._text is not None:
            self._text += data[start:end]
            if len(self._text) > self.max_text:
                raise UploadError(f"The field {self._name!r} is too long.", 413)

    def _end(self) -> None:
        if self._current is not None:
            part, self._current = self._current, None
            part.close()
            self.result.files[self._name], self.result.names[self._name] = part.path, part.name
        elif self._text is not None:
            try:
                self.result.fields[self._name] = self._text.decode("utf-8")
            except UnicodeDecodeError:
                raise UploadError(f"The field {self._name!r} is not UTF-8 text.", 400) from None
            self._text = None


def check_song(label: str, name: str, path: Path, max_seconds: float) -> float:
    """After the upload: it decodes, holds audio, is not too long, not truncated,
    not too short to mix and not silent (the limits the pipeline's first stage
    applies, checked here so the answer is a 422 with the form still filled, not
    a 202 and a failure a second later). Returns its duration in seconds."""
    try:
        info = sf.info(str(path))
        frames, declared, energy = 0, info.frames, 0.0
        with sf.SoundFile(str(path)) as f:
            for block in f.blocks(blocksize=1 << 16, dtype="float32", always_2d=True):
                frames += len(block)
                energy += float(np.sum(np.square(block, dtype=np.float64))) / block.shape[1]
    except Exception:
        raise UploadError(f"{label}: {name!r} could not be decoded; it is not a readable MP3 or "
                          "WAV file.", 422) from None
    if frames == 0 or info.samplerate <= 0:
        raise UploadError(f"{label}: {name!r} holds no audio.", 422)
    seconds = frames / info.samplerate
    if seconds > max_seconds:
        raise too_long(label, name, seconds, max_seconds)
    if declared > 0 and frames < 0.98 * declared - info.samplerate * 0.1:
        raise UploadError(f"{label}: {name!r} is truncated (only {seconds:.1f} of "
                          f"{declared / info.samplerate:.1f} seconds are there); upload the "
                          "whole file.", 422)
    if path.suffix == ".mp3" and mp3_cut_short(path):
        raise UploadError(f"{label}: {name!r} is truncated (its last MP3 frame is cut off); "
                          "upload the whole file.", 422)
    if path.suffix == ".wav":
        with path.open("rb") as fh:
            declared_s = wav_seconds(fh.read(1 << 16))
        if declared_s is not None and seconds < 0.98 * declared_s - 0.1:
            raise UploadError(f"{label}: {name!r} is truncated (only {seconds:.1f} of "
                              f"{declared_s:.1f} seconds are there); upload the whole file.", 422)
    if seconds < MIN_DURATION_S:
        raise UploadError(f"{label}: {name!r} is too short to mix ({seconds:.1f} s); a song needs "
                          f"at least {MIN_DURATION_S:.0f} seconds, a few bars.", 422)
    rms = np.sqrt(energy / frames)
    if 20 * np.log10(max(rms, 1e-12)) < SILENT_DBFS:
        raise UploadError(f"{label}: {name!r} is silent (no sound above {SILENT_DBFS:.0f} dBFS); "
                          "choose a song with audio in it.", 422)
    return seconds


_MP3_KBPS = {1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
             2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def mp3_cut_short(path: Path) -> bool:
    """True when walking the MPEG Layer III frames ends inside a frame: a file
    cut off mid-download. Files this walk cannot follow are not judged."""
    data = path.read_bytes()
    pos = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        pos = 10 + ((data[6] & 0x7F) << 21 | (data[7] & 0x7F) << 14 | (data[8] & 0x7F) << 7
                    | (data[9] & 0x7F))
    end = len(data) - (128 if data[-128:-125] == b"TAG" else 0)
    frames = 0
    while pos + 4 <= end:
        b1, b2 = data[pos + 1], data[pos + 2]
        version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
        kbps_i, rate_i = b2 >> 4, (b2 >> 2) & 3
        if data[pos] != 0xFF or (b1 & 0xE0) != 0xE0 or layer != 1 or version == 1 \
                or kbps_i in (0, 15) or rate_i == 3:
            return False  # lost sync (or not Layer III): do not judge
        kbps = _MP3_KBPS[1 if version == 3 else 2][kbps_i]
        rate = _MP3_RATES[version][rate_i]
        size = (144 if version == 3 else 72) * kbps * 1000 // rate + ((b2 >> 1) & 1)
        pos += size
        frames += 1
    return frames > 0 and pos > end

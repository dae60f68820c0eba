"""What a synthetic song is made of: its parameters, its keys and scales, its form,
and the one clock that turns beats into seconds.

Everything downstream (notes, truth beats, stem activity) reads time from
`Clock`, so a tempo drift moves the notes and the truth together and the truth
stays exact.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass

# Bump when the generated audio would change for an unchanged spec, so caches on
# disk are not reused across generator versions.
GENERATOR_VERSION = 7

FEELS = ("straight", "swing", "half_time")
# "eighth_kicks": a kick on every eighth note under backbeat snares (2 and 4)
# and open hats on the off-beats, the rock/metal groove whose off-beats are as
# loud as its beats (the beat-phase trap).
DRUM_PATTERNS = ("standard", "eighth_kicks")
MODES = ("major", "minor")
VOICE_MODES = ("auto", "festival", "gm")
# "harmony": two voices a third/sixth from the lead, panned wide (the default);
# "unison": one voice doubling the lead's notes 25 ms late, in the centre.
BACKING_STYLES = ("harmony", "unison")
BEATS_PER_BAR = 4

PITCH_CLASSES = {
    "C": 0, "B#": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "Fb": 4,
    "F": 5, "E#": 5, "F#": 6, "Gb": 6, "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10,
    "Bb": 10, "B": 11, "Cb": 11,
}
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)  # natural minor; V borrows the leading tone

SECTION_LABELS = ("intro", "verse", "chorus", "breakdown", "bridge", "outro")


@dataclass(frozen=True)
class SongSpec:
    """Parameters of one synthetic song; equal specs give byte-identical audio."""

    tempo: float = 120.0
    key: str = "C"
    mode: str = "major"
    bars: int = 16
    seed: int = 0
    feel: str = "straight"
    sections: tuple[tuple[str, int], ...] | None = None
    title: str = "Demo A"
    artist: str = "musicmixer"
    tempo_drift: float = 0.0
    voices: str = "auto"
    drums: str = "standard"
    backing: str = "harmony"

    def __post_init__(self):
        if self.key not in PITCH_CLASSES:
            raise ValueError(f"unknown key {self.key!r}; use e.g. 'C', 'F#', 'Bb'")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")
        if self.feel not in FEELS:
            raise ValueError(f"feel must be one of {FEELS}, not {self.feel!r}")
        if self.drums not in DRUM_PATTERNS:
            raise ValueError(f"drums must be one of {DRUM_PATTERNS}, not {self.drums!r}")
        if self.voices not in VOICE_MODES:
            raise ValueError(f"voices must be one of {VOICE_MODES}, not {self.voices!r}")
        if self.backing not in BACKING_STYLES:
            raise ValueError(f"backing must be one of {BACKING_STYLES}, not {self.backing!r}")
        if not 30.0 <= self.tempo <= 300.0:
            raise ValueError(f"tempo {self.tempo} is outside 30..300 BPM")
        if not -0.5 < self.tempo_drift < 1.0:
            raise ValueError(f"tempo_drift {self.tempo_drift} is outside (-0.5, 1.0)")
        if self.sections is not None:
            secs = tuple((str(lab), int(n)) for lab, n in self.sections)
            if any(n < 1 for _, n in secs):
                raise ValueError("every section needs at least one bar")
            object.__setattr__(self, "sections", secs)
            object.__setattr__(self, "bars", sum(n for _, n in secs))
        if self.bars < 1:
            raise ValueError("a song needs at least one bar")

    @property
    def tonic_pc(self) -> int:
        return PITCH_CLASSES[self.key]

    @property
    def scale(self) -> tuple[int, ...]:
        return MAJOR_SCALE if self.mode == "major" else MINOR_SCALE

    def form(self) -> tuple[tuple[str, int], ...]:
        """The sections, given or derived from the bar count."""
        return self.sections if self.sections is not None else default_sections(self.bars)

    def cache_key(self, voices_resolved: str) -> str:
        """A short hash of everything that changes the audio."""
        d = asdict(self)
        d["sections"] = [list(s) for s in self.form()]
        d["voices"] = voices_resolved
        if d["backing"] == "harmony":
            del d["backing"]  # the default keeps the keys made before the option existed
        d["version"] = GENERATOR_VERSION
        if d["drums"] == "standard":  # songs cached before the option keep their key
            del d["drums"]
        blob = json.dumps(d, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]


def default_sections(bars: int) -> tuple[tuple[str, int], ...]:
    """A pop form sized to the song: sections of 4 bars from 16 bars on, of 2
    below, 1 for tiny songs; leftover bars go to the last section."""
    unit = 4 if bars >= 16 else 2 if bars >= 6 else 1
    n = max(1, bars // unit)
    templates = {
        1: ["verse"],
        2: ["verse", "chorus"],
        3: ["intro", "verse", "chorus"],
        4: ["intro", "verse", "chorus", "outro"],
        5: ["intro", "verse", "chorus", "breakdown", "outro"],
        6: ["intro", "verse", "chorus", "verse", "chorus", "outro"],
        7: ["intro", "verse", "chorus", "verse", "chorus", "breakdown", "outro"],
    }
    if n in templates:
        labels = templates[n]
    else:
        middle = ["verse", "chorus"] * ((n - 4) // 2)
        if (n - 4) % 2:
            middle.append("chorus")
        labels = ["intro", *middle, "breakdown", "chorus", "outro"]
    lengths = [unit] * n
    lengths[-1] += bars - unit * n
    return tuple(zip(labels, lengths))


class Clock:
    """Beats to seconds under a tempo that changes linearly with the beat count:
    bpm(b) = tempo * (1 + drift * b / total_beats). Its integral has a closed
    form, so every time is exact."""

    def __init__(self, tempo: float, total_beats: float, drift: float = 0.0):
        self.tempo = float(tempo)
        self.total_beats = float(total_beats)
        self.k = float(drift) / self.total_beats if total_beats else 0.0

    def time(self, beat: float) -> float:
        if abs(self.k) < 1e-12:
            return 60.0 * beat / self.tempo
        return 60.0 / (self.tempo * self.k) * math.log1p(self.k * beat)

    def bpm(self, beat: float) -> float:
        return self.tempo * (1.0 + self.k * beat)

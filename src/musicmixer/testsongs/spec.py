"""What a synthetic song is made of: its parameters, its keys and scales, its form,
and the one clock that turns beats into seconds.

Everything downstream (notes, truth beats, stem activity) reads time from
`Clock`, so a tempo drift moves the notes and the truth together and the truth
stays exact.

The truth beats are the felt pulse, defined for every feel as the level a
drummer counts in: the beat the hi-hat splits into two eighths, the vocal
phrasing's quarter note.
- straight / swing: snare on 2 and 4 (swing delays each off-beat eighth).
- double_time: kick on every eighth not under the snare, snare on 2 and 4; the
  kicks run twice as fast as the pulse, the snare keeps it.
- half_time: one snare per bar on 3; the snare's pulse is half the felt pulse,
  the hi-hat eighths keep it.
- skank (the punk/metal "skank" beat): kick and cymbal on every beat, snare on
  every off-beat eighth; the kicks are the pulse, the louder snares sit between.
A benchmark's octave-aware score accepts the other metrical levels; the strict
one asks for this one.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass

import numpy as np

# Bump when the generated audio would change for an unchanged spec, so caches on
# disk are not reused across generator versions.
GENERATOR_VERSION = 7

FEELS = ("straight", "swing", "half_time", "double_time", "skank")
GUITAR_TONES = ("clean", "overdrive", "distortion")
VOICE_TIMBRES = ("clean", "harsh", "breathy")
# One period of the live-playing tempo wander, in beats, and a shorter one that
# makes it irregular: a band speeds up and settles over a few bars.
WANDER_PERIODS = (32.0, 13.0)
WANDER_WEIGHTS = (0.7, 0.3)
# "eighth_kicks": a kick on every eighth note under backbeat snares (2 and 4)
# and open hats on the off-beats, the rock/metal groove whose off-beats are as
# loud as its beats (the beat-phase trap).
DRUM_PATTERNS = ("standard", "eighth_kicks")
MODES = ("major", "minor")
VOICE_MODES = ("auto", "festival", "gm")
# "harmony": two voices a third/sixth from the lead, panned wide (the default);
# "unison": one voice doubling the lead's notes 25 ms late, in the centre;
# "harmony_vibrato": the harmony's notes sung with vibrato and a slow pitch
# drift (`vibrato.py`), which a separator hears as voices, not as a pad.
BACKING_STYLES = ("harmony", "unison", "harmony_vibrato")
# "flat": the lead as Festival sings it, one flat pitch per note (the default);
# "realistic": a sung contour (scoop and overshoot, vibrato after the onset,
# drift, per-note misses; `lead_contour.py`), which HTDemucs hears as a voice.
LEAD_STYLES = ("flat", "realistic")
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
    lead_style: str = "flat"        # "realistic": the lead sung with a pitch contour
    # Options of the hard set (real-music traits). Their defaults leave a song as it
    # was, and `cache_key` leaves defaults out, so older caches stay valid.
    syncopation: bool = False       # anticipated kicks (on 4-and) and snares (on 3-and)
    guitar_tone: str = "clean"      # overdrive / distortion: GM drive guitars, power chords
    drumless_intro: bool = False    # the intro has no drums (and no bass)
    tempo_wander: float = 0.0       # +-fraction of live-playing tempo wander around the drift
    voice_timbre: str = "clean"     # harsh (driven, gritty) or breathy (noise-laden) lead
    natural_minor: bool = False     # minor without the leading tone over V (Aeolian rock)
    offbeat_riff: bool = False      # driven power chords accent the off-beats (a pushed riff)
    pushed_drums: bool = False      # the intro's drums hit the pushes: kicks between the beats, snare on 2 and 4

    def __post_init__(self):
        if self.key not in PITCH_CLASSES:
            raise ValueError(f"unknown key {self.key!r}; use e.g. 'C', 'F#', 'Bb'")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")
        if self.feel not in FEELS:
            raise ValueError(f"feel must be one of {FEELS}, not {self.feel!r}")
        if self.drums not in DRUM_PATTERNS:
            raise ValueError(f"drums must be one of {DRUM_PATTERNS}, not {self.drums!r}")
        if self.guitar_tone not in GUITAR_TONES:
            raise ValueError(f"guitar_tone must be one of {GUITAR_TONES}, not {self.guitar_tone!r}")
        if self.voice_timbre not in VOICE_TIMBRES:
            raise ValueError(f"voice_timbre must be one of {VOICE_TIMBRES}, not {self.voice_timbre!r}")
        if not 0.0 <= self.tempo_wander < 0.2:
            raise ValueError(f"tempo_wander {self.tempo_wander} is outside [0, 0.2)")
        if self.voices not in VOICE_MODES:
            raise ValueError(f"voices must be one of {VOICE_MODES}, not {self.voices!r}")
        if self.lead_style not in LEAD_STYLES:
            raise ValueError(f"lead_style must be one of {LEAD_STYLES}, not {self.lead_style!r}")
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

    @property
    def heavy_guitar(self) -> bool:
        return self.guitar_tone != "clean"

    def clock(self, total_beats: float) -> Clock:
        """The song's one clock; the wander's phase is drawn from the seed."""
        phases: tuple[float, ...] = ()
        if self.tempo_wander:
            digest = hashlib.sha256(f"wander:{self.seed}".encode()).digest()
            phases = tuple(2 * math.pi * digest[i] / 256.0 for i in range(len(WANDER_PERIODS)))
        return Clock(self.tempo, total_beats, self.tempo_drift, self.tempo_wander, phases)

    def hard_options(self) -> dict:
        """The hard-set options that differ from their defaults."""
        return {k: getattr(self, k) for k, v in HARD_DEFAULTS.items() if getattr(self, k) != v}

    def as_dict(self) -> dict:
        """The SongSpec as stored: hard-set options only where they are set, so a
        default song's hash and truth are what they were before they existed."""
        d = asdict(self)
        for k in HARD_DEFAULTS:
            if k not in self.hard_options():
                d.pop(k)
        if d["lead_style"] == "flat":
            del d["lead_style"]  # the default keeps the keys made before the option existed
        return d

    def cache_key(self, voices_resolved: str) -> str:
        """A short hash of everything that changes the audio."""
        d = self.as_dict()
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


# What the truth beats are, per feel (written into a hard-set song's truth.json).
FELT_PULSE = {
    "straight": "notated quarter: snare on 2 and 4, hi-hat eighths",
    "swing": "notated quarter: snare on 2 and 4, swung hi-hat eighths",
    "double_time": "notated quarter: snare on 2 and 4; kicks on the eighths run at twice it",
    "half_time": "notated quarter: hi-hat eighths; the one snare per bar (on 3) runs at half it",
    "skank": "notated quarter: kick and cymbal on every beat; snares on every off-beat eighth",
}

HARD_DEFAULTS = {"syncopation": False, "guitar_tone": "clean", "drumless_intro": False,
                 "tempo_wander": 0.0, "voice_timbre": "clean", "natural_minor": False,
                 "offbeat_riff": False, "pushed_drums": False}


class Clock:
    """Beats to seconds under a tempo that changes linearly with the beat count:
    bpm(b) = tempo * (1 + drift * b / total_beats). Its integral has a closed
    form, so every time is exact.

    With a wander w the tempo also breathes, as a band does:
    bpm(b) * (1 + w * sum_i weight_i * sin(2 pi b / period_i + phase_i)), within
    +-w of the drifting tempo. That integral is taken numerically (trapezoids of
    1/256 beat; times within a microsecond), and notes and truth beats read the
    same table, so the truth still follows the audio exactly."""

    STEPS_PER_BEAT = 256
    MARGIN_BEATS = 16  # notes ring past the last bar; the table covers them

    def __init__(self, tempo: float, total_beats: float, drift: float = 0.0,
                 wander: float = 0.0, phases: tuple[float, ...] = ()):
        self.tempo = float(tempo)
        self.total_beats = float(total_beats)
        self.k = float(drift) / self.total_beats if total_beats else 0.0
        self.wander = float(wander)
        self.phases = tuple(phases) or (0.0,) * len(WANDER_PERIODS)
        self._grid: np.ndarray | None = None
        self._table: np.ndarray | None = None
        if self.wander:
            n = int((self.total_beats + self.MARGIN_BEATS) * self.STEPS_PER_BEAT) + 1
            grid = np.arange(n) / self.STEPS_PER_BEAT
            spb = 60.0 / self._bpm_array(grid)
            table = np.concatenate([[0.0], np.cumsum(0.5 * (spb[1:] + spb[:-1]))
                                    / self.STEPS_PER_BEAT])
            self._grid, self._table = grid, table

    def _bpm_array(self, beat):
        b = np.asarray(beat, dtype=np.float64)
        w = sum(wt * np.sin(2 * np.pi * b / per + ph)
                for wt, per, ph in zip(WANDER_WEIGHTS, WANDER_PERIODS, self.phases))
        return self.tempo * (1.0 + self.k * b) * (1.0 + self.wander * w)

    def time(self, beat: float) -> float:
        if self._table is not None and self._grid is not None:
            if not 0.0 <= beat <= self._grid[-1]:
                raise ValueError(f"beat {beat} is outside the clock's table")
            return float(np.interp(beat, self._grid, self._table))
        if abs(self.k) < 1e-12:
            return 60.0 * beat / self.tempo
        return 60.0 / (self.tempo * self.k) * math.log1p(self.k * beat)

    def bpm(self, beat: float) -> float:
        if self.wander:
            return float(self._bpm_array(beat))
        return self.tempo * (1.0 + self.k * beat)

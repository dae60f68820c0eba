"""The typed result of analysing one song: what the interpreter reads and the
mix engine aligns on. Times are seconds from the start of the song.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

from pydantic import BaseModel, Field

SECTION_LABELS = ("intro", "verse", "chorus", "bridge", "breakdown", "drop", "outro")


class Section(BaseModel):
    """A stretch of the song on the bar grid (step 3.5)."""

    label: str  # one of SECTION_LABELS
    start_bar: int  # index into SongAnalysis.downbeats
    end_bar: int  # exclusive
    start_time: float
    end_time: float
    energy: float = Field(ge=0.0, le=1.0)  # relative to the song's loudest section


class StemCharacter(BaseModel):
    """A short description of one stem for the LLM (`interpreter.prompts.stem_character`)."""

    energy: float = Field(ge=0.0, le=1.0)  # mean level relative to the loudest stem
    density: float = Field(ge=0.0, le=1.0)  # share of bars where the stem is active
    presence: str  # "absent" | "sparse" | "present" | "dominant"
    description: str  # one line, e.g. "bass: steady, present in 90% of bars"


class TempoLevel(BaseModel):
    """One metrical level of a song: the tracked beat, or the pulse at half or
    double its tempo. A song read at 85 BPM may be felt at 170; pairing chooses
    between these readings instead of trusting one (`mix.tempo`)."""

    level: str  # "half" | "beat" | "double"
    bpm: float
    score: float = Field(ge=0.0, le=1.0)  # chance it is the beat (`levels.metrical_levels`); sum 1


class SongAnalysis(BaseModel):
    """Everything musicmixer knows about a song after the analyze stage."""

    duration: float
    sample_rate: int = 44100
    tempo: float  # BPM of `beats`: the felt pulse as the tracker chose it
    tempo_confidence: float = Field(ge=0.0, le=1.0)
    tempo_levels: list[TempoLevel] = []  # half, beat and double, each with a score
    tempo_level_confidence: float = Field(default=1.0, ge=0.0, le=1.0)  # the beat level's score
    beats: list[float]
    downbeats: list[float]
    beats_per_bar: int = 4
    key: str  # tonic, e.g. "A", "F#"
    mode: str  # "major" | "minor"
    key_confidence: float = Field(ge=0.0, le=1.0)
    sections: list[Section]
    stem_bar_energy: dict[str, list[float]] = {}  # stem -> energy per bar (0..1)
    vocal_activity: list[tuple[float, float]] = []  # (start, end) seconds
    vocal_stem: str | None = None  # the stem vocal_activity was read from (step 3.5)
    vocal_pitch_hz: float | None = None  # median sung pitch; the offline reader tells "her" from "him" by it
    bar_energy: list[float] = []  # the mix's energy per bar (0..1, same scale as stem_bar_energy)
    stem_character: dict[str, StemCharacter] = {}
    title: str | None = None  # from tags or file name; the planner matches prompts on it
    artist: str | None = None
    # step 2's beat-grid decisions: is the grid on the beats rather than half a
    # beat off (drums' snares, kicks, bass and chord changes), and is bar 1 right
    phase_confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    downbeat_confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    warnings: list[str] = []  # analysis decisions made on thin evidence, in words
    # per bar (as downbeats), the share of each pitch class C..B: the band's
    # pitched stems (no drums, no vocals) and the vocal stem (step 8.5's clash)
    harmony_bar_chroma: list[list[float]] = []
    vocal_bar_chroma: list[list[float]] = []

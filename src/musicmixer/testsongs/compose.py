"""The notes of a song, part by part, from its spec.

Sections change the arrangement (sparse intro, lead-only verse, full chorus with
backing voices, a breakdown without drums) so that structure analysis and the
stem-activity truth have something real to find. Repeated sections repeat their
melody, as songs do. Notes are placed in beats, then timed by `Clock` after
swing, so the notes and the truth beats share one clock.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .harmony import Pitches, song_chords
from .spec import BEATS_PER_BAR, Clock, SongSpec

# GM programs (0-based) of the guitar tones; the drive tones play power chords.
GUITAR_PROGRAMS = {"clean": 25, "overdrive": 29, "distortion": 30}

# Which parts play in which section; labels not listed play everything.
ARRANGEMENT = {
    "intro": {"drums", "piano"},
    "verse": {"drums", "bass", "piano", "lead_vocals"},
    "chorus": {"drums", "bass", "piano", "guitar", "lead_vocals", "backing_vocals"},
    "breakdown": {"piano", "guitar", "lead_vocals", "backing_vocals"},
    "bridge": {"drums", "bass", "guitar", "lead_vocals"},
    "outro": {"drums", "bass", "piano", "guitar"},
}
ALL_PARTS = {"drums", "bass", "piano", "guitar", "lead_vocals", "backing_vocals"}

# one syllable each: Festival singing mode takes one note per syllable
LEAD_WORDS = ("love", "night", "light", "home", "day", "heart", "sing", "go", "free",
              "sky", "dream", "sun", "rain", "way", "time", "stay", "run", "fall")
BACKING_WORDS = ("ooh", "ah")

DOUBLE_DELAY_S = 0.025  # a tracked double lags its lead by a few tens of ms

KICK, SNARE, HAT, OPEN_HAT, CRASH = 36, 38, 42, 46, 49


@dataclass
class Note:
    beat: float          # onset, in beats from the song start (before swing)
    beats: float         # length in beats
    pitch: int
    velocity: int
    lyric: str = ""
    start: float = 0.0   # seconds, filled in by `timed`
    end: float = 0.0


@dataclass
class Score:
    """Every part's notes plus what the truth needs to know about the form."""

    parts: dict[str, list[Note]] = field(default_factory=dict)
    programs: dict[str, int] = field(default_factory=dict)
    bar_sections: list[str] = field(default_factory=list)
    total_beats: int = 0


def arrangement(label: str) -> set[str]:
    return ARRANGEMENT.get(label, ALL_PARTS)


def section_parts(spec: SongSpec, label: str) -> set[str]:
    """What plays in a section of this song: a drumless intro leaves out drums and
    bass; in a song of driven guitars the guitar takes the piano's place (a band
    without keys), so the harmony is power chords, bass and voice."""
    parts = set(arrangement(label))
    if spec.drumless_intro and label == "intro":
        parts -= {"drums", "bass"}
    if spec.heavy_guitar and "piano" in parts:
        parts = (parts - {"piano"}) | {"guitar"}
    return parts


def compose(spec: SongSpec) -> Score:
    """All parts of the song, timed in seconds."""
    chords = song_chords(spec)
    bars: list[tuple[str, int, int]] = []  # (label, bar index in section, section length)
    for label, n in spec.form():
        bars.extend((label, i, n) for i in range(n))
    p = Pitches(spec)
    score = Score(bar_sections=[b[0] for b in bars], total_beats=BEATS_PER_BAR * len(bars))
    score.programs = {"drums": 0, "bass": 33, "piano": 0, "guitar": GUITAR_PROGRAMS[spec.guitar_tone]}
    parts: dict[str, list[Note]] = {k: [] for k in
                                    ("drums", "bass", "piano", "guitar", "lead", "backing_hi", "backing_lo")}
    if spec.backing == "unison":
        parts["double"] = []
    melodies: dict[str, list[list[Note]]] = {}
    last_bar = len(bars) - 1
    anticipated = False  # the previous bar's kick on 4-and took this downbeat
    for bar, (label, i, n) in enumerate(bars):
        on = section_parts(spec, label)
        chord = chords[bar]
        b0 = bar * BEATS_PER_BAR
        section_start = i == 0
        final = bar == last_bar
        if "drums" in on and spec.pushed_drums and label == "intro":
            parts["drums"] += _push_drums(b0, section_start, fill=i == n - 1 and n > 1)
            anticipated = False
        elif "drums" in on:
            sync = _syncopation(spec, bar, anticipated and not section_start)
            hits = _drums(spec.feel, b0, section_start, light=label == "intro",
                          fill=i == n - 1 and n > 1 and not final, sync=sync,
                          pattern=spec.drums)
            parts["drums"] += hits
            anticipated = bool(sync and sync["push"]) and any(
                h.pitch == KICK and h.beat == b0 + 3.5 for h in hits)
        else:
            anticipated = False
        if "bass" in on:
            parts["bass"] += _bass(p, spec.feel, chord, b0, final)
        if "piano" in on:
            parts["piano"] += _piano(p, chord, b0, busy=label == "chorus", final=final)
        if "guitar" in on:
            if spec.heavy_guitar:
                parts["guitar"] += _power_chords(p, spec.feel, chord, b0, final, spec.offbeat_riff)
            else:
                parts["guitar"] += _guitar(p, spec.feel, chord, b0, final)
        if "lead_vocals" in on:
            if label not in melodies:
                melodies[label] = _melody(spec, p, label, chords, bars)
            phrase = melodies[label][min(i, len(melodies[label]) - 1)]
            parts["lead"] += [_shift(nt, b0) for nt in phrase]
        if "backing_vocals" in on and spec.backing == "unison":
            if "lead_vocals" in on:
                parts["double"] += [_shift(nt, b0) for nt in phrase]
        elif "backing_vocals" in on:
            hi, lo = _backing(p, chord, b0, bar)
            parts["backing_hi"].append(hi)
            parts["backing_lo"].append(lo)
    clock = spec.clock(score.total_beats)
    for name, notes in parts.items():
        score.parts[name] = timed(notes, clock, spec.feel, strum=0.012 if name == "guitar" else 0.0)
    for nt in score.parts.get("double", []):
        nt.start += DOUBLE_DELAY_S
        nt.end += DOUBLE_DELAY_S
    return score


def swung(beat: float, feel: str) -> float:
    """Swing moves each off-beat eighth to two thirds of its beat."""
    if feel != "swing":
        return beat
    whole = int(beat // 1)
    frac = beat - whole
    if abs(frac - 0.5) < 1e-9:
        return whole + 2.0 / 3.0
    return beat


def timed(notes: list[Note], clock: Clock, feel: str, strum: float = 0.0) -> list[Note]:
    """Set start/end seconds; chords struck together on a guitar are strummed
    (low string first), which spreads their onsets by `strum` seconds each."""
    out: list[Note] = []
    order: dict[float, int] = {}
    for nt in sorted(notes, key=lambda x: (x.beat, x.pitch)):
        k = order.get(nt.beat, 0)
        order[nt.beat] = k + 1
        nt.start = clock.time(swung(nt.beat, feel)) + k * strum
        nt.end = clock.time(swung(nt.beat + nt.beats, feel))
        nt.end = max(nt.end, nt.start + 0.03)
        out.append(nt)
    return out


def _shift(nt: Note, beats: float) -> Note:
    return Note(nt.beat + beats, nt.beats, nt.pitch, nt.velocity, nt.lyric)


def _syncopation(spec: SongSpec, bar: int, anticipated: bool) -> dict | None:
    """Where this bar pushes (None: a plain bar). Odd bars anticipate: the kick on
    3 comes an eighth early and a kick on 4-and takes the next downbeat, whose
    own kick is then left out; every fourth bar also pulls the snare on 4 to
    3-and. The truth beats do not move: the pulse is still where it was."""
    if not spec.syncopation:
        return None
    return {"push": bar % 2 == 1, "snare_early": bar % 4 == 3, "drop_one": anticipated}


def _drums(feel: str, b0: int, section_start: bool, light: bool, fill: bool,
           sync: dict | None = None, pattern: str = "standard") -> list[Note]:
    if pattern == "eighth_kicks" and not light:
        return _eighth_kick_drums(b0, section_start, fill)
    hits: list[tuple[float, int, int]] = []
    if feel == "half_time":
        kicks, snares = [0.0, 2.5], [2.0]
    elif feel == "double_time":
        snares = [1.0, 3.0]
        kicks = [k * 0.5 for k in range(8) if k * 0.5 not in snares]
    elif feel == "skank":
        kicks, snares = [0.0, 1.0, 2.0, 3.0], [0.5, 1.5, 2.5, 3.5]
    else:
        kicks, snares = [0.0, 2.0], [1.0, 3.0]
        if feel == "straight":
            kicks.append(2.5)
    if sync and not light:
        kicks, snares = _pushed(feel, kicks, snares, sync)
    if light:
        kicks, snares = [0.0], []
    hits += [(k, KICK, 112 if k == 0 else 92) for k in kicks]
    hits += [(s, SNARE, 108 if feel == "skank" else 100) for s in snares]
    hat_step = 1.0 if light or feel == "skank" else 0.5
    hits += [(h * hat_step, HAT, 84 if (h * hat_step) % 1 == 0 else 64)
             for h in range(int(BEATS_PER_BAR / hat_step))]
    return _bar_notes(hits, b0, section_start, fill)


def _bar_notes(hits: list[tuple[float, int, int]], b0: int, section_start: bool,
               fill: bool) -> list[Note]:
    """A bar's hits as notes: a crash on a section's first bar, a snare fill
    on the last beat of a section's last bar."""
    if section_start:
        hits.append((0.0, CRASH, 110))
    if fill:
        hits = [h for h in hits if h[0] < 3.0]
        hits += [(3.0 + 0.25 * k, SNARE, 70 + 8 * k) for k in range(4)]
    return [Note(b0 + t, 0.25, pitch, vel) for t, pitch, vel in hits]


def _eighth_kick_drums(b0: int, section_start: bool, fill: bool) -> list[Note]:
    """Kicks on all eight eighths (the off-beat ones as hard as the beats),
    snares on 2 and 4, closed hats on the beats and louder open hats between."""
    hits = [(0.5 * k, KICK, 104) for k in range(8)]
    hits += [(1.0, SNARE, 100), (3.0, SNARE, 100)]
    hits += [(float(k), HAT, 70) for k in range(4)]
    hits += [(k + 0.5, OPEN_HAT, 100) for k in range(4)]
    return _bar_notes(hits, b0, section_start, fill)


def _push_drums(b0: int, section_start: bool, fill: bool) -> list[Note]:
    """An intro that plays the riff's pushes: kicks on every off-beat with the
    accented chords, a crash on the first push, the snare still on 2 and 4 and
    no hats. Everything but the snare says the beat is half a beat off."""
    hits = [(k + 0.5, KICK, 108) for k in range(4)]
    hits += [(0.5, CRASH, 104), (1.0, SNARE, 96), (3.0, SNARE, 96)]
    return _bar_notes(hits, b0, section_start, fill)


def _pushed(feel: str, kicks: list[float], snares: list[float], sync: dict
            ) -> tuple[list[float], list[float]]:
    kicks, snares = list(kicks), list(snares)
    if sync["snare_early"]:
        last = max(snares)
        snares = [s for s in snares if s != last] + [last - 0.5]
    if sync["push"]:
        kicks = [1.5 if k == 2.0 else k for k in kicks] + [3.5]
    if sync["drop_one"]:
        kicks = [k for k in kicks if k != 0.0]
    if feel == "double_time":  # the kicks fill every eighth the snare leaves
        kicks = [k * 0.5 for k in range(8) if k * 0.5 not in snares and
                 (k or not sync["drop_one"])]
    return sorted(set(kicks) - set(snares)), sorted(snares)


def _bass(p: Pitches, feel: str, chord: int, b0: int, final: bool) -> list[Note]:
    root = p.root(chord, p.tonic(2))  # E1..D#3, a bass guitar's range
    if root > 47:
        root -= 12
    fifth = p.midi(chord + 4, p.tonic(2), chord)
    fifth = fifth + 12 if fifth < root else fifth - 12 if fifth > root + 12 else fifth
    if final:
        return [Note(b0, 3.8, root, 110)]
    patterns = {
        "straight": [(0, 1.4, root, 112), (1.5, 0.45, root, 90), (2, 0.9, fifth, 96),
                     (3, 0.45, root, 92), (3.5, 0.45, root + 12, 86)],
        "swing": [(0, 0.95, root, 112), (1, 0.95, fifth, 92), (2, 0.95, root + 12, 96),
                  (3, 0.45, fifth, 90), (3.5, 0.45, root, 86)],
        "half_time": [(0, 2.4, root, 112), (2.5, 0.45, fifth, 90), (3, 0.95, root, 96)],
        # driving eighths on the root, the fifth on 3: a rock bass under double time
        "double_time": [(k * 0.5, 0.45, fifth if k in (4, 5) else root, 108 if k % 2 == 0 else 90)
                        for k in range(8)],
    }
    return [Note(b0 + t, d, n, v) for t, d, n, v in patterns.get(feel, patterns["double_time"])]


def _voicing(p: Pitches, chord: int, low: int, high: int) -> list[int]:
    tones = p.chord_pitches(chord, low, high)
    return tones[:4]


def _piano(p: Pitches, chord: int, b0: int, busy: bool, final: bool) -> list[Note]:
    right = _voicing(p, chord, 57, 72)
    left = p.root(chord, p.tonic(2))
    if final:
        return [Note(b0, 3.8, n, 90) for n in (left, *right)]
    hits = [0.0, 1.0, 2.0, 3.0] if busy else [0.0, 2.0, 3.5]
    notes = [Note(b0, 1.9, left, 92), Note(b0 + 2, 1.9, left, 80)]
    for t in hits:
        length = 0.9 if busy else (1.9 if t < 3 else 0.45)
        vel = 92 if t == 0 else 74
        notes += [Note(b0 + t, length, n, vel) for n in right]
    return notes


def _guitar(p: Pitches, feel: str, chord: int, b0: int, final: bool) -> list[Note]:
    tones = p.chord_pitches(chord, 52, 72)[:5]
    if final:
        return [Note(b0, 3.8, n, 90) for n in tones]
    strums = [0.0, 1.0, 1.5, 2.5, 3.0, 3.5] if feel != "half_time" else [0.0, 1.5, 2.0, 3.5]
    notes = []
    for t in strums:
        vel = 96 if t % 1 == 0 else 72
        notes += [Note(b0 + t, 0.45, n, vel) for n in tones]
    return notes


def _power_chords(p: Pitches, feel: str, chord: int, b0: int, final: bool,
                  offbeat: bool = False) -> list[Note]:
    """Root, fifth and octave low on the neck (root E2..D#3), as a driven rhythm
    guitar plays them: no third, so the chord's quality comes from bass and voice.
    `offbeat`: the accents fall between the beats (a pushed riff), which is all
    a drumless intro has to track."""
    root = p.root(chord, p.tonic(2))
    while root < 40:
        root += 12
    while root >= 52:
        root -= 12
    tones = (root, root + 7, root + 12)
    if final:
        return [Note(b0, 3.8, n, 100) for n in tones]
    hits = {"half_time": [0.0, 0.5, 1.5, 2.0, 2.5, 3.5],
            "swing": [0.0, 1.0, 1.5, 2.5, 3.0, 3.5]}.get(feel, [k * 0.5 for k in range(8)])
    on_beat, off_beat = (84, 104) if offbeat else (104, 84)
    return [Note(b0 + t, 0.45, n, on_beat if t % 1 == 0 else off_beat) for t in hits for n in tones]


RHYTHMS = (
    [(0, 1), (1, 1), (2, 1.5)],
    [(0, 0.5), (0.5, 0.5), (1, 1), (2, 1), (3, 0.75)],
    [(0, 1.5), (1.5, 0.5), (2, 1), (3, 0.75)],
    [(0, 1), (1, 0.5), (1.5, 0.5), (2, 1.5)],
)
CADENCE_RHYTHM = [(0, 1), (1, 1), (2, 1.75)]


def _melody(spec: SongSpec, p: Pitches, label: str, chords: list[int],
            bars: list[tuple[str, int, int]]) -> list[list[Note]]:
    """One phrase per bar of the first section with this label, in bar-relative
    beats. Strong beats take chord tones; phrases end on the tonic at cadences."""
    rng = random.Random(f"{spec.seed}:{label}")
    first = next(k for k, b in enumerate(bars) if b[0] == label)
    n = bars[first][2]
    base = p.tonic(3)  # lead sits around the tonic of octave 3 (MIDI 48 + pc): a male voice
    words = list(LEAD_WORDS)
    rng.shuffle(words)
    prev = 4
    phrases = []
    for i in range(n):
        chord = chords[first + i]
        end_of_phrase = i % 2 == 1 or i == n - 1
        rhythm = CADENCE_RHYTHM if end_of_phrase else RHYTHMS[rng.randrange(len(RHYTHMS))]
        notes = []
        for j, (t, d) in enumerate(rhythm):
            last = j == len(rhythm) - 1
            if last and end_of_phrase and chord == 0:
                deg = min((0, 7), key=lambda x: abs(x - prev))
            elif t % 2 == 0 or last:
                deg = min((c + o for c in Pitches.chord_degrees(chord) for o in (-7, 0, 7)
                           if -1 <= c + o <= 9), key=lambda x: (abs(x - prev), x))
            else:
                deg = max(-1, min(9, prev + rng.choice((-1, 1, 1, -2, 2))))
            prev = deg
            word = words[(i * 4 + j) % len(words)]
            notes.append(Note(t, d * 0.95, p.midi(deg, base, chord), 100 if t == 0 else 88, word))
        phrases.append(notes)
    return phrases


def _backing(p: Pitches, chord: int, b0: int, bar: int) -> tuple[Note, Note]:
    """Two sustained harmony voices around the lead's register: the chord's third
    just above its tonic and the chord's fifth just below it, a third or a sixth
    from the melody most of the time."""
    home = p.tonic(3)
    third = p.midi(chord + 2, home, chord)
    third = third + 12 if third < home + 2 else third
    third = third - 12 if third >= home + 14 else third
    fifth = p.midi(chord + 4, home, chord)
    fifth = fifth - 12 if fifth >= home + 7 else fifth
    fifth = fifth + 12 if fifth < home - 5 else fifth
    word = BACKING_WORDS[bar % 2]
    return Note(b0, 3.6, third, 84, word), Note(b0, 3.6, fifth, 84, word)

"""The song pairs bench/mix.py mixes, and the songs themselves.

PAIRS: generated songs (tempos >= 15% apart, different keys, one vocal song
drifting). HARD_PAIRS: the traits that broke real pairs (driven guitars,
harsh/breathy Festival voices, 150-200 BPM, tempo-octave and 2:1 pairs, an
intro whose drums hit the riff's pushes).
LMMS_PAIRS: a hard-set vocal song over an LMMS demo production with drums
(bench/lmms_songs.py: exact grid from the project file, licence checked).
REAL_PAIRS: the same kind of vocal song over a real recording (bench/real_songs.py:
a game-soundtrack excerpt, its grid madmom's beats where essentia agrees).
Songs are generated or rendered once into their caches.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PAIRS = [  # (vocal song, instrumental song)
    (dict(tempo=120.0, key="C", mode="major", seed=31, title="Bench V0"),
     dict(tempo=100.0, key="D", mode="minor", seed=32, title="Bench I0", feel="half_time")),
    (dict(tempo=90.0, key="E", mode="minor", seed=33, title="Bench V1", tempo_drift=0.06),
     dict(tempo=108.0, key="F", mode="major", seed=34, title="Bench I1")),
]
# (vocal song, instrumental song): the traits that broke real pairs.
HARD_BASE = dict(voices="auto")
HARD_PAIRS = [
    (dict(tempo=170.0, key="C#", mode="minor", seed=41, title="Hard V0", feel="double_time",
          guitar_tone="distortion", voice_timbre="harsh", drumless_intro=True),
     dict(tempo=150.0, key="C", mode="minor", seed=42, title="Hard I0", feel="straight",
          guitar_tone="overdrive", syncopation=True, tempo_wander=0.02)),       # 1:1 (read as 85?)
    (dict(tempo=190.0, key="E", mode="minor", seed=43, title="Hard V1", feel="double_time",
          guitar_tone="distortion", voice_timbre="harsh"),
     dict(tempo=95.0, key="G", mode="major", seed=44, title="Hard I1", feel="straight",
          guitar_tone="overdrive")),                                             # 2:1
    (dict(tempo=88.0, key="A", mode="minor", seed=45, title="Hard V2", feel="straight",
          voice_timbre="breathy"),
     dict(tempo=172.0, key="D", mode="minor", seed=46, title="Hard I2", feel="double_time",
          guitar_tone="distortion", drumless_intro=True)),                       # 1:2
    (dict(tempo=160.0, key="F", mode="major", seed=47, title="Hard V3", feel="half_time",
          voice_timbre="breathy", tempo_drift=0.02),
     dict(tempo=176.0, key="Bb", mode="major", seed=48, title="Hard I3", feel="double_time",
          guitar_tone="overdrive", syncopation=True, tempo_wander=0.02)),        # 1:1, half time
    (dict(tempo=132.0, key="G", mode="major", seed=49, title="Hard V4", feel="straight",
          guitar_tone="overdrive", voice_timbre="breathy", drumless_intro=True),
     dict(tempo=140.0, key="E", mode="minor", seed=50, title="Hard I4", feel="straight",
          guitar_tone="distortion", syncopation=True, tempo_wander=0.02)),       # 1:1, moderate
    (dict(tempo=165.0, key="D", mode="minor", seed=51, title="Hard V5", feel="double_time",
          guitar_tone="distortion", voice_timbre="harsh"),
     dict(tempo=146.1, key="G", mode="major", seed=9602, title="Hard I5", feel="half_time",
          guitar_tone="distortion", offbeat_riff=True, pushed_drums=True,
          sections=(("intro", 8), ("verse", 8), ("chorus", 8)))),               # 1:1, drums on the pushes
]
# (vocal song, LMMS demo project): a hard-set vocal song over a real production
# (bench/lmms_songs.py), its tempo and bar grid exact from the project file. The
# projects' own dev/test split (lmms_songs.split) decides which pairs tuning may
# look at; the vocal songs' seeds differ between the two halves.
LMMS_PAIRS = [
    (dict(tempo=190.0, key="E", mode="minor", seed=61, title="Lmms V0", feel="double_time",
          guitar_tone="distortion", voice_timbre="harsh"), "Alf42red-Mauiwowi"),       # 102: 2:1
    (dict(tempo=170.0, key="C#", mode="minor", seed=62, title="Lmms V1", feel="double_time",
          guitar_tone="distortion", voice_timbre="harsh", drumless_intro=True),
     "Momo64-esp"),                                                                  # 138: 1:1 (85?)
    (dict(tempo=88.0, key="A", mode="minor", seed=63, title="Lmms V2", feel="straight",
          voice_timbre="breathy"), "CapDan-TwilightArea-OriginalByAlf42red"),        # 170: 1:2
    (dict(tempo=176.0, key="G", mode="major", seed=64, title="Lmms V3", feel="double_time",
          guitar_tone="overdrive", voice_timbre="harsh"), "Socceroos-Progress"),     # 200: 1:1 (100?)
    (dict(tempo=180.0, key="D", mode="minor", seed=71, title="Lmms V4", feel="double_time",
          guitar_tone="distortion", voice_timbre="harsh"),
     "StrictProduction-DearJonDoe"),                                                 # 87: 2:1
    (dict(tempo=172.0, key="F#", mode="minor", seed=72, title="Lmms V5", feel="double_time",
          guitar_tone="distortion", voice_timbre="harsh", drumless_intro=True),
     "Thomasso-AxeFromThe80s"),                                                      # 140: 1:1
    (dict(tempo=184.0, key="B", mode="minor", seed=73, title="Lmms V6", feel="double_time",
          guitar_tone="overdrive", voice_timbre="harsh"), "CapDan-ReggaeTry"),       # 180: 1:1 (90?)
    (dict(tempo=160.0, key="Bb", mode="major", seed=74, title="Lmms V7", feel="half_time",
          voice_timbre="breathy", tempo_drift=0.02),
     "CapDan-ZeroSumGame-OriginalByZakarra"),                                        # 144: 1:1, half time
]

# (vocal song, real excerpt): a hard-set vocal song over a real recording
# (bench/real_songs.py), its grid madmom's beats, only "consensus" excerpts (madmom
# and essentia agree). Picked by `pick_real` before any mix was run: per split,
# the consensus excerpts sorted by name, the first unused one whose reference felt
# tempo is in each slot of REAL_SLOTS; the comment gives that tempo and the
# mapping the true tempos call for. Seeds 81-84 (dev), 91-94 (test).
REAL_SLOTS = (  # (felt-tempo slot of the instrumental, the mapping it is for)
    ((85.0, 110.0), "2:1"),    # harsh 180 double time over ~90-105
    ((155.0, 175.0), "1:1"),   # harsh 172 double time over ~160
    ((155.0, 175.0), "1:2"),   # breathy 88 over ~160
    ((120.0, 145.0), "1:1"),   # breathy 160 half time over ~120-140
)
REAL_PAIRS = [
    (dict(tempo=180.0, key="D", mode="minor", seed=81, title="Real V0", feel="double_time",
          guitar_tone="distortion", voice_timbre="harsh"), "nexuiz-ninesix"),           # 89.6: 2:1
    (dict(tempo=172.0, key="F#", mode="minor", seed=82, title="Real V1", feel="double_time",
          guitar_tone="distortion", voice_timbre="harsh", drumless_intro=True),
     "warzone2100-aftermath-track20"),                                               # 162.2: 1:1
    (dict(tempo=88.0, key="A", mode="minor", seed=83, title="Real V2", feel="straight",
          voice_timbre="breathy"), "warzone2100-aftermath-track27"),                 # 162.2: 1:2
    (dict(tempo=160.0, key="Bb", mode="major", seed=84, title="Real V3", feel="half_time",
          voice_timbre="breathy", tempo_drift=0.02), "nexuiz-beast-of-insanity"),    # 139.5: 1:1
    (dict(tempo=180.0, key="E", mode="minor", seed=91, title="Real V4", feel="double_time",
          guitar_tone="distortion", voice_timbre="harsh"), "nexuiz-northern-lights"),  # 105.3: 2:1
    (dict(tempo=172.0, key="C#", mode="minor", seed=92, title="Real V5", feel="double_time",
          guitar_tone="overdrive", voice_timbre="harsh", drumless_intro=True),
     "asc-frontiers"),                                                               # 157.9: 1:1
    (dict(tempo=88.0, key="G", mode="minor", seed=93, title="Real V6", feel="straight",
          voice_timbre="breathy"), "warzone2100-legacy-track8"),                     # 162.2: 1:2
    (dict(tempo=160.0, key="F", mode="major", seed=94, title="Real V7", feel="half_time",
          voice_timbre="breathy", tempo_drift=0.02), "asc-machine_wars"),           # 120.0: 1:1
]


# The pairs were chosen when the real set held these packages' tracks only; the
# rule keeps to them so the table (and its measured figures) stays what it picks.
REAL_PAIR_PACKAGES = ("nexuiz-music", "warzone2100-music", "asc-music")


def pick_real(reference: dict[str, dict], which: str,
              packages: tuple[str, ...] | None = REAL_PAIR_PACKAGES) -> list[str]:
    """The instrumentals REAL_PAIRS should use for one split, one per REAL_SLOTS
    slot: the split's consensus excerpts (of `packages`, None for all) sorted by
    name, the first unused one whose felt tempo (60 / median madmom beat
    interval) is in the slot."""
    from real_songs import felt_tempo

    names = sorted(n for n, r in reference.items() if r["split"] == which and r["consensus"]
                   and (packages is None or r.get("package") in packages))
    picked: list[str] = []
    for (lo, hi), _ in REAL_SLOTS:
        picked.append(next(n for n in names if n not in picked
                           and lo <= felt_tempo(reference[n]["madmom_beats"]) <= hi))
    return picked


def real_sweep(reference: dict[str, dict] | None = None) -> list:
    """REAL_SWEEP: every consensus excerpt of every split (all packages, sorted by
    split then name), each under one of REAL_PAIRS' vocal songs by a rule fixed
    before any sweep was run: the split's vocal songs (dev: V0-V3, test and fresh:
    V4-V7), by the excerpt's felt tempo T: under 120 BPM the 180 BPM harsh song
    (2:1 for ~90), 120-150 the 160 BPM half-time breathy one (1:1), from 150 the
    172 BPM harsh (1:1) and the 88 BPM breathy (1:2) songs in turn. For the
    placement check (bench/grid_placement.py) on many real grids, not one per slot."""
    import real_songs

    ref = reference if reference is not None else real_songs.load_reference()
    out, fast_turn = [], 0
    for split in ("dev", "test", "fresh"):
        vocals = [spec for spec, _ in (REAL_PAIRS[:4] if split == "dev" else REAL_PAIRS[4:])]
        for name in sorted(n for n, r in ref.items() if r["split"] == split and r["consensus"]):
            t = real_songs.felt_tempo(ref[name]["madmom_beats"])
            if t < 120.0:
                i = 0
            elif t < 150.0:
                i = 3
            else:
                i, fast_turn = 1 + fast_turn % 2, fast_turn + 1
            out.append((vocals[i], name))
    return out


# Real band recordings with charted beats (bench/charted_songs.py): each metal
# song with vocals over one instrumental, 60 s from the same start. Two starts,
# one of the dev split and one of the test split; truth 1:1 except 190 over 95 (2:1).
CHARTED_PAIRS = [(f"{v}_{start}", f"{i}_{start}") for start in (20.0, 65.0) for v, i in (
    ("armygeddon", "escape_from_chaosland"),       # 170 over 135
    ("chaos_god", "metal_madness"),                 # 170 over 150
    ("internal_degeneration", "feelings"),          # 190 over 95: 2:1
    ("mutilated_mime", "war_of_freedom"))]          # 180 over 140


def pairs_for(set_name: str) -> list:
    if set_name == "real-sweep":
        return real_sweep()
    return {"generated": PAIRS, "hard": HARD_PAIRS, "lmms": LMMS_PAIRS, "real": REAL_PAIRS,
            "charted": CHARTED_PAIRS}[set_name]


def real_song(name: str, cache: Path, drift: float = 0.0):
    """The real excerpt `name` (cut under cache/ex if missing), its reference as
    `truth`: madmom's beats and downbeats, the felt tempo from them, split and
    licence. Only consensus excerpts: elsewhere the reference grid is in doubt.
    `drift` > 0: the excerpt played with live tempo drift (`live_tempo`, written
    once under cache/drift), its reference moved to match."""
    import real_songs

    ref = real_songs.load_reference()[name]
    if not ref["consensus"]:
        raise SystemExit(f"{name}: madmom and essentia disagree; no reference grid to judge by")
    song = next(s for s in real_songs.catalogue() if s.name == name)
    real_songs.fetch(cache, [song])
    song.licence = ref["licence"]
    song.truth = {"title": name, "tempo": round(real_songs.felt_tempo(ref["madmom_beats"]), 2),
                  "beats": ref["madmom_beats"], "downbeats": ref["madmom_downbeats"],
                  "split": ref["split"], "licence": ref["licence"], "consensus": True,
                  "package": f"{ref['package']} {ref['version']}"}
    return drifted_song(song, cache, drift) if drift > 0 else song


def drifted_song(song, cache: Path, amount: float):
    """`song` played with live tempo drift: a WAV under cache/drift (made once) and
    its truth beats, downbeats and felt tempo moved through the same curve."""
    import soundfile as sf
    from live_tempo import Drift, move_truth, warp

    drift = Drift.for_song(song.name, amount)
    info = sf.info(str(song.wav))
    tau = drift.source_times(info.frames, info.samplerate)
    out = cache / "drift" / f"{song.name}-drift{amount:g}.wav"
    if not out.exists():  # the audio is warped once; its time map is cheap to remake
        audio, sr = sf.read(str(song.wav), dtype="float32", always_2d=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(out), warp(audio.T, sr, drift)[0].T, sr, subtype="PCM_16")
    song.wav = out
    song.truth = move_truth(song.truth, tau, info.samplerate)
    song.truth |= {"tempo": round(song.truth["felt_tempo"], 2),
                   "drift": {"amount": amount, "period_s": round(drift.period_s, 1)}}
    return song


def lmms_project(name: str, cache: Path):
    """The LMMS demo project `name`, rendered (cached) and checked: usable (4/4,
    steady tempo) and under a known licence, which is reported with its figures."""
    import lmms_songs

    lmms_songs.ensure_lmms()
    song = next(s for s in lmms_songs.catalogue() if s.name == name)
    if song.skipped or song.licence == "unknown":
        raise SystemExit(f"{name}: {song.skipped or 'no licence found'}")
    split = "dev" if any(s.name == name for s in lmms_songs.split(lmms_songs.catalogue(), "dev")) \
        else "test"
    song = lmms_songs.render(song, cache)
    song.truth["split"] = split
    return song


def make_songs(pair: int, bars: int | None, minutes: float | None, cache: Path,
               set_name: str = "generated", lmms_cache: Path | None = None,
               lead_style: str = "flat", real_cache: Path | None = None, drift: float = 0.0,
               charted_cache: Path | None = None):
    """The pair's songs; `lead_style="realistic"` sings the generated vocal
    songs' leads with a pitch contour (testsongs/lead_contour.py: a realism fix
    of the test material, since HTDemucs hears a flat Festival lead as a synth)."""
    from musicmixer.testsongs import SongSpec, generate_song

    out = []
    for spec in pairs_for(set_name)[pair]:
        if set_name == "charted":
            from charted_songs import charted_song

            out.append(charted_song(spec, charted_cache or ROOT / "build" / "bench-charted"))
            continue
        if isinstance(spec, str) and set_name in ("real", "real-sweep"):
            out.append(real_song(spec, real_cache or ROOT / "build" / "bench-real", drift))
            continue
        if isinstance(spec, str):
            out.append(lmms_project(spec, lmms_cache or ROOT / "build" / "bench-lmms"))
            continue
        n = bars or int(round(minutes * spec["tempo"] / 4))
        base = dict(voices="gm") if set_name == "generated" else HARD_BASE
        style = dict(lead_style=lead_style) if not out else {}  # the vocal song is first
        out.append(generate_song(SongSpec(bars=n, **{**base, **spec, **style}), cache))
    return out

"""What bench/mix.py measures on a rendered pair: the vocals' alignment to the
instrumental's grid, the mapping the true tempos call for, downbeat offsets
and per-section levels, with the references the separator gave.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def vocal_alignment(plan, rep, stems: dict, vocal_song, inst_song, source: np.ndarray) -> dict:
    """Onsets of the rendered vocal bus against the instrumental's true eighths in
    output time (truth beats through the plan's range and stretch). The reference
    is `source`, the vocal song's vocals as the separator gave them, on its true
    grid: the material the mix placed, so what separation does to onsets (a drum
    leak, a smeared harsh voice) is in the reference too (on one dev pair the
    separated harsh voice's onsets lock to its beats 0.38, its true stem's 0.21)."""
    from grid_alignment import alignment, division_for

    from musicmixer.stems import VOCAL_STEM_NAMES

    vocal_parts = [a for n, a in stems.items() if n in VOCAL_STEM_NAMES]
    if not vocal_parts:
        return {"aligned": False, "why": "no vocal stem rendered"}
    vocal_bus = sum(vocal_parts)
    out_beats = output_times(inst_song.truth["beats"], plan, rep)
    out_beats = out_beats[out_beats <= rep["output"]["seconds"]]
    division = division_for(vocal_song.truth["tempo"], inst_song.truth["tempo"])
    return alignment(vocal_bus, out_beats, source, np.asarray(vocal_song.truth["beats"]), division,
                     output_times(inst_song.truth["downbeats"], plan, rep))


def output_times(times, plan, rep) -> np.ndarray:
    """The instrumental's source times (from the plan's range start) in output time."""
    t = np.asarray(times, dtype=np.float64)
    start = plan.instrumental_range.start
    return (t[t >= start - 1e-3] - start) * rep["tempo"]["instrumental_ratio"]


def _grid_inputs(plan, rep, vocal_song, inst_song) -> tuple:
    """What both placement checks read: the report's beat map and segment start,
    the instrumental's true beats and downbeats in output time, and the vocal
    beats per instrumental beat the true tempos call for."""
    from grid_alignment import division_for

    align = rep.get("alignment", {})
    division = division_for(vocal_song.truth["tempo"], inst_song.truth["tempo"])
    return (np.asarray(align.get("vocal_beat_map", [])), align.get("vocal_segment_start_s", 0.0),
            output_times(inst_song.truth["beats"], plan, rep),
            output_times(inst_song.truth["downbeats"], plan, rep), division / 2)


def placement_on_grid(plan, rep, vocal_song, inst_song) -> dict:
    """The vocal song's true beats through the report's beat map against the
    instrumental's true grid in output time (bench/grid_placement.py)."""
    from grid_placement import placement

    return placement(np.asarray(vocal_song.truth["beats"]), np.asarray(vocal_song.truth["downbeats"]),
                     *_grid_inputs(plan, rep, vocal_song, inst_song))


def heard_on_grid(plan, rep, stems: dict, vocal_song, inst_song, source: np.ndarray) -> dict:
    """The rendered vocals (plan gains divided out) against perfect placement on
    the instrumental's true grid, by envelope match (bench/grid_placement.py's
    `heard`): the audio check that needs no onsets."""
    from grid_placement import heard

    from musicmixer.stems import VOCAL_STEM_NAMES

    vocal_parts = [a for n, a in stems.items() if n in VOCAL_STEM_NAMES]
    if not vocal_parts:
        return {"judgeable": False, "heard_placed": False, "why": "no vocal stem rendered"}
    return heard(sum(vocal_parts), source, np.asarray(vocal_song.truth["beats"]),
                 np.asarray(vocal_song.truth["downbeats"]),
                 *_grid_inputs(plan, rep, vocal_song, inst_song))


def truth_mapping(vocal_bpm: float, instrumental_bpm: float) -> str:
    """The mapping the true tempos call for (what the job should have chosen)."""
    from musicmixer.mix.tempo import choose_mapping

    return choose_mapping(vocal_bpm, instrumental_bpm)[0]


def without_section_gains(stems: dict, plan, rep, floor: float = 0.05) -> dict:
    """The rendered stems with the plan's gain curves divided back out (where they are
    over `floor`): a planned fade-in reshapes a bar's envelope, and the envelope
    match would read that as the vocals arriving tens of milliseconds late."""
    from musicmixer.mix.renderer import section_gain_curve

    n = max(a.shape[-1] for a in stems.values())
    beat_times = np.asarray(rep["beat_times"])
    curves = {name: section_gain_curve(name, plan.sections, 44100, beat_times, n)
              for name in stems}
    return {name: np.where(curves[name] > floor, a / np.maximum(curves[name], floor), 0.0)
            for name, a in stems.items()}


def separated(song, settings, backends, work: Path, *, vocal: bool) -> np.ndarray:
    """A song's vocal stems (summed) or its drums as the separator gave them (a cache
    hit: the job just separated it): the material the mix stages placed."""
    from musicmixer.audio import load_audio
    from musicmixer.separation.dispatcher import separate_stems
    from musicmixer.stems import VOCAL_STEM_NAMES

    sep = separate_stems(song.mix_path, work / ("vocal-stems" if vocal else "drum-stems"),
                         settings=settings, backends=backends, allow_vocal_fallback=True)
    names = VOCAL_STEM_NAMES if vocal else {"drums"}
    return sum(load_audio(p) for name, p in sep.stems.items() if name in names)


def true_beats_per_beat(rep, vocal_song, inst_song) -> float:
    """The job's mapping counted in the songs' true beats. A song read an octave
    off and mapped accordingly is placed as its true tempo calls for: the mix
    bench's "Bench V1" (90 BPM, a 6 % ramp) read at 184 from true stems and
    mapped 2:1 lands bar for bar at 1:1, and its downbeats measured at the job's
    2:1 compared each vocal bar with the wrong instrumental one (worst 70 ms
    on 20 of 45 bars)."""
    def octave(read: float, true: float) -> float:
        return 2.0 ** round(float(np.log2(read / true)))

    t = rep["tempo"]
    return (t.get("vocal_beats_per_beat", 1.0) * octave(t["instrumental_bpm"], inst_song.truth["tempo"])
            / octave(t["vocal_bpm"], vocal_song.truth["tempo"]))


def downbeat_stats(plan, rep, stems, vocal_song, inst_song, vocal_src: np.ndarray,
                   drums_src: np.ndarray) -> dict:
    """Vocal bus against the vocal song's true downbeats, instrumental bus (drums)
    against the instrumental's; per bar, their difference. The references are what
    the separator gave (`separated`), so a bar whose onset the separator softened is
    not read as a late bar: this measures placement; bench/separation.py measures
    the separation."""
    from musicmixer.mix.measure import downbeat_offsets, paired_downbeats
    from musicmixer.stems import VOCAL_STEM_NAMES

    ratio = rep["tempo"]["instrumental_ratio"]
    src, out = paired_downbeats(vocal_song.truth, inst_song.truth, plan, ratio,
                                true_beats_per_beat(rep, vocal_song, inst_song))
    vocal_bus = sum(a for n, a in stems.items() if n in VOCAL_STEM_NAMES)
    v = downbeat_offsets(vocal_bus, vocal_src, src, out, 44100)
    _, i_out = paired_downbeats(inst_song.truth, inst_song.truth, plan, ratio)
    i_src = np.asarray(inst_song.truth["downbeats"])
    i0 = int(np.argmin(np.abs(i_src - plan.instrumental_range.start)))
    drums = stems.get("drums")
    inst = (downbeat_offsets(drums, drums_src, i_src[i0:i0 + len(i_out)],
                             i_out, 44100) if drums is not None else np.full(len(v), np.nan))
    # each vocal bar against the instrumental bar it starts in (the same bar at 1:1;
    # at 2:1 two vocal bars share one, at 1:2 every second bar has one)
    end = i_out[len(inst)] if len(i_out) > len(inst) else np.inf  # the last measured bar's end
    n = int(np.sum(out[:len(v)] < end - 1e-3)) if len(inst) else 0
    bar = np.clip(np.searchsorted(i_out[:len(inst)], out[:n] + 1e-3) - 1, 0, max(len(inst) - 1, 0))
    inst_at = inst[bar] if n else np.zeros(0)
    d = v[:n] - np.where(np.isfinite(inst_at), inst_at, 0.0)
    d = np.abs(d[np.isfinite(d)]) * 1000
    if not len(d):
        return {"bars_measured": 0}
    return {"median": round(float(np.median(d)), 1), "worst": round(float(np.max(d)), 1),
            "bars_measured": int(len(d)), "bars": int(len(v))}


def section_energy(sections, stems) -> dict:
    """Per stem: rendered level (dB) per section next to the plan's gain, and
    whether louder plan gains came out louder (pairs of sections in agreement)."""
    out, agree, pairs = {}, 0, 0
    for name, audio in stems.items():
        levels = []
        for s in sections:
            seg = audio[:, int(s["start_s"] * 44100):int(s["end_s"] * 44100)]
            rms = float(np.sqrt(np.mean(seg.astype(np.float64) ** 2))) if seg.size else 0.0
            levels.append(round(20 * np.log10(max(rms, 1e-9)), 1))
        gains = [s["stem_gains"].get(name, 0.0) for s in sections]
        for i in range(len(sections)):
            for j in range(i + 1, len(sections)):
                if abs(gains[i] - gains[j]) >= 0.2:
                    pairs += 1
                    agree += (gains[i] > gains[j]) == (levels[i] > levels[j])
        out[name] = {"plan_gain": gains, "level_db": levels}
    return {"order_agreement": round(agree / pairs, 3) if pairs else None, "stems": out}

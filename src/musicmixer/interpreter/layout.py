"""Lay the offline plan's sections on the analysed structure of both songs.

Output bar k is bar `window_start + k` of the instrumental song and bar
`vocal_start_bar + k` of the vocal song. The vocal song's first sung bar is
placed where the instrumental's intro ends; from there its verse/chorus
structure names the sections (it decides where singing happens), and the
instrumental's labels fill in where the vocal song is silent.
"""

from __future__ import annotations

from dataclasses import dataclass

from .plan import bar_grid, bar_seconds, first_vocal_bar

NORMAL_SECONDS = 180.0
SHORT_SECONDS = 75.0
MIN_BARS = 8
MIN_SECTION_BARS = 2
SINGING = ("verse", "chorus", "bridge", "drop", "breakdown")
# When a song has no analysed sections: (label, bars) repeated after the intro.
_PATTERN = [("verse", 16), ("chorus", 8)]


@dataclass
class Layout:
    sections: list[tuple[str, int, int]]  # (label, start bar, end bar) on the instrumental
    vocal_start_bar: int
    window_start: int
    structure_from: str  # which song's structure named the sung sections


def bar_labels(analysis, count: int) -> list[tuple[str | None, int]]:
    """(label, section index) for each of `count` bars; a song without
    analysed sections gets a verse/chorus pattern after its first sung bar."""
    labels: list[tuple[str | None, int]] = [(None, -1)] * count
    if analysis.sections:
        for index, s in enumerate(analysis.sections):
            for bar in range(max(s.start_bar, 0), min(s.end_bar, count)):
                labels[bar] = (s.label, index)
        return labels
    first = first_vocal_bar(analysis)
    bar, index = first, 0
    labels[:first] = [("intro", -2)] * min(first, count)
    while bar < count:
        label, length = _PATTERN[index % len(_PATTERN)]
        for b in range(bar, min(bar + length, count)):
            labels[b] = (label, index)
        bar, index = bar + length, index + 1
    return labels


def target_bars(inst_bars: int, bar_s: float, reading) -> int:
    """Plan length from the prompt's length wish, within the instrumental."""
    if reading.target_bars:
        wanted = reading.target_bars
    elif reading.target_seconds:
        wanted = round(reading.target_seconds / bar_s)
    elif reading.length == "short":
        wanted = round(SHORT_SECONDS / bar_s)
    elif reading.length == "long":
        wanted = inst_bars
    else:
        wanted = round(NORMAL_SECONDS / bar_s)
    if not reading.target_bars and wanted < inst_bars:
        wanted = max(4, round(wanted / 4) * 4)  # whole 4-bar phrases
    return max(min(MIN_BARS, inst_bars), min(int(wanted), inst_bars))


def lay_out(vocal, inst, reading) -> Layout:
    inst_bars = len(bar_grid(inst))
    vocal_bars = len(bar_grid(vocal))
    total = target_bars(inst_bars, bar_seconds(inst), reading)
    inst_intro_end = 0
    for s in inst.sections:
        if s.label != "intro" or s.start_bar > inst_intro_end:
            break
        inst_intro_end = s.end_bar
    cap = 4 if reading.length == "short" or total < 32 else 8
    intro_len = min(inst_intro_end or 4, cap) if total >= 16 else 0
    window_start = max(0, min(inst_intro_end - intro_len, inst_bars - total))
    vocal_start_bar = max(0, first_vocal_bar(vocal) - intro_len)
    intro_len = min(intro_len, max(0, first_vocal_bar(vocal) - vocal_start_bar))
    # Past the vocal song's end there is nothing to sing: keep at most an 8-bar tail.
    total = max(min(MIN_BARS, total), min(total, vocal_bars - vocal_start_bar + 8))
    total = min(total, inst_bars - window_start)

    vlabels = bar_labels(vocal, vocal_bars)
    ilabels = bar_labels(inst, inst_bars)
    outro_len = min(8, max(4, total // 8)) if total >= 16 else 0
    keys = []
    for k in range(total):
        vbar = vocal_start_bar + k
        vlabel, vindex = vlabels[vbar] if vbar < vocal_bars else (None, -1)
        ilabel, iindex = ilabels[window_start + k]
        if k < intro_len:
            keys.append(("intro", -1, "i"))
        elif k >= total - outro_len:
            keys.append(("outro", -1, "o"))
        elif vlabel in SINGING:
            keys.append((vlabel, vindex, "v"))
        elif ilabel in SINGING:
            keys.append((ilabel, iindex, "i"))
        else:
            keys.append(("breakdown" if vbar < vocal_bars else "outro", iindex, "i"))
    sections = _group(keys, window_start)
    sung_from_vocal = any(key[2] == "v" for key in keys)
    return Layout(sections, vocal_start_bar, window_start,
                  "vocal" if sung_from_vocal else "instrumental")


def _group(keys, offset: int) -> list[tuple[str, int, int]]:
    """Runs of equal keys -> sections; runs under MIN_SECTION_BARS join a neighbour."""
    runs: list[list] = []
    for k, key in enumerate(keys):
        if runs and runs[-1][0] == key:
            runs[-1][2] = k + 1
        else:
            runs.append([key, k, k + 1])
    merged: list[list] = []
    for run in runs:
        if merged and (run[2] - run[1] < MIN_SECTION_BARS or (merged[-1][0][0] == run[0][0]
                       and merged[-1][2] - merged[-1][1] < MIN_SECTION_BARS)):
            merged[-1][2] = run[2]
        else:
            merged.append(run)
    if len(merged) > 1 and merged[0][2] - merged[0][1] < MIN_SECTION_BARS:
        merged[1][1] = merged[0][1]
        merged.pop(0)
    return [(key[0], offset + start, offset + end) for key, start, end in merged]

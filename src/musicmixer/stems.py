"""Stem modes: which stems a configuration produces, and how gains written for
one mode carry over to another.

A `StemMode` is the one object the rest of musicmixer asks: the LLM's schema,
the few-shot examples, the system prompt, the fallback gains, the offline
planner, the separation dispatcher and the page's fader list all derive from
it. `stem_mode(stem_backend, vocal_sub_separation)` picks the mode from
`STEM_MODES`. Adding a mode means adding one `StemMode` to `STEM_MODES` (and
the backend that makes its stems); nothing else compares stem lists.

Gains are carried between modes by two kinds of rule, both declared on the
mode that receives the gains:

- `folds`: a stem this mode does not have -> the stem of this mode whose sound
  contains it (guitar -> other without a guitar stem; lead_vocals -> vocals
  without a vocal split). The receiving stem takes the loudest gain folded in.
- `splits`: a stem this mode separates further -> its parts, each with a share
  of the gain (vocals -> lead_vocals at 1.0 and backing_vocals at
  `DEFAULT_BACKING_VOCAL_RATIO`). A gain given for a part itself wins.

A mode may also need a setting turned on besides its backend and flag
(`opt_in`, a boolean `Settings` field): the local 5-stem mode needs
LOCAL_VOCAL_SPLIT, so that without it local + VOCAL_SUB_SEPARATION keeps
giving 4 stems and a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

from musicmixer.config import Settings

logger = logging.getLogger(__name__)

FOUR_STEMS = ["vocals", "drums", "bass", "other"]
FIVE_STEMS = ["lead_vocals", "backing_vocals", "drums", "bass", "other"]
ALL_STEMS = ["vocals", "drums", "bass", "guitar", "piano", "other"]
SEVEN_STEMS = ["lead_vocals", "backing_vocals", "drums", "bass", "guitar", "piano", "other"]
VOCAL_STEM_NAMES = frozenset({"vocals", "lead_vocals", "backing_vocals"})
LEAD_VOCAL_STEM = "lead_vocals"
BACKING_VOCAL_STEM = "backing_vocals"
MIXED_VOCAL_STEM = "vocals"
OTHER_STEM = "other"  # the catch-all stem, present in every mode

DEFAULT_BACKING_VOCAL_RATIO = 0.65  # Backing at ~65% of lead level

# For people (the page's faders, reports); every stem name of every mode.
STEM_LABELS: Mapping[str, str] = MappingProxyType({
    MIXED_VOCAL_STEM: "Vocals", LEAD_VOCAL_STEM: "Lead vocals", BACKING_VOCAL_STEM: "Backing vocals",
    "drums": "Drums", "bass": "Bass", "guitar": "Guitar", "piano": "Piano", OTHER_STEM: "Other",
})
# For the LLM: what each stem holds (the tool schema's descriptions).
STEM_DESCRIPTIONS: Mapping[str, str] = MappingProxyType({
    MIXED_VOCAL_STEM: "All vocal content of the vocal song: lead, harmonies, ad-libs.",
    LEAD_VOCAL_STEM: "Lead vocal level. The primary singing voice.",
    BACKING_VOCAL_STEM: "Backing vocal level. Harmonies, ad-libs, response phrases.",
    "drums": "Drums and percussion of the instrumental song.",
    "bass": "Bass of the instrumental song.",
    "guitar": "Guitars of the instrumental song.",
    "piano": "Piano and keys of the instrumental song.",
    OTHER_STEM: "Everything else in the instrumental song: synths, pads, strings.",
})
OTHER_WITH_GUITAR_AND_PIANO = (
    "Everything that is not vocals, drums or bass in the instrumental song: "
    "guitars, keys, synths, strings."
)
_VOCAL_SPLIT = {MIXED_VOCAL_STEM: {LEAD_VOCAL_STEM: 1.0, BACKING_VOCAL_STEM: DEFAULT_BACKING_VOCAL_RATIO}}
_VOCAL_FOLD = {LEAD_VOCAL_STEM: MIXED_VOCAL_STEM, BACKING_VOCAL_STEM: MIXED_VOCAL_STEM}
_INSTRUMENT_FOLD = {"guitar": OTHER_STEM, "piano": OTHER_STEM}


@dataclass(frozen=True)
class StemMode:
    """One set of stems a configuration produces, in canonical order.

    backend, vocal_sub_separation: the configuration that produces it.
    folds, splits: how gains written for another mode map onto this one
        (see the module docstring).
    descriptions: per-stem text for the LLM where it differs from
        `STEM_DESCRIPTIONS` (`other` holds more when guitar/piano fold into it).
    vocal_split: how its lead/backing stems are made, for reports
        ("karaoke model", "offline split"); None for a mode without them.
    opt_in: a boolean `Settings` field that must be on for this mode (besides
        the backend and the flag); None when the backend and flag suffice.
    """

    name: str
    stems: tuple[str, ...]
    backend: str
    vocal_sub_separation: bool
    folds: Mapping[str, str] = field(default_factory=dict, hash=False)
    splits: Mapping[str, Mapping[str, float]] = field(default_factory=dict, hash=False)
    descriptions: Mapping[str, str] = field(default_factory=dict, hash=False)
    vocal_split: str | None = None
    opt_in: str | None = None

    def __post_init__(self) -> None:
        stems = set(self.stems)
        problems = [
            len(stems) != len(self.stems) and "a stem is listed twice",
            OTHER_STEM not in stems and f"every mode has the catch-all {OTHER_STEM!r} stem",
            any(s in stems or t not in stems for s, t in self.folds.items())
            and "a fold must take a stem the mode lacks into one it has",
            any(s in stems or not set(parts) <= stems for s, parts in self.splits.items())
            and "a split must take a stem the mode lacks into stems it has",
            not set(self.descriptions) <= stems and "a description for a stem it lacks",
            (self.vocal_split is None) != (LEAD_VOCAL_STEM not in stems)
            and "a mode names its vocal split exactly when it has lead/backing stems",
            self.opt_in is not None and self.opt_in not in Settings.model_fields
            and f"opt-in {self.opt_in!r} is not a setting",
        ]
        if any(problems):
            raise ValueError(f"stem mode {self.name!r}: " + "; ".join(p for p in problems if p))

    @cached_property
    def vocal_stems(self) -> tuple[str, ...]:
        """The stems that go to the vocal bus, order kept."""
        return tuple(s for s in self.stems if s in VOCAL_STEM_NAMES)

    @cached_property
    def instrumental_stems(self) -> tuple[str, ...]:
        return tuple(s for s in self.stems if s not in VOCAL_STEM_NAMES)

    @property
    def labels(self) -> dict[str, str]:
        """Stem -> label for people, in the mode's order."""
        return {s: stem_label(s) for s in self.stems}

    def description(self, stem: str) -> str:
        """What the LLM is told `stem` holds in this mode."""
        return self.descriptions.get(stem) or STEM_DESCRIPTIONS[stem]

    @cached_property
    def known_stems(self) -> frozenset[str]:
        """Stem names this mode accepts gains for: its own and those its rules carry over."""
        return frozenset(self.stems) | set(self.folds) | set(self.splits)

    @cached_property
    def unsplit_stems(self) -> tuple[str, ...] | None:
        """The stems a backend returns when the mode's extra split fails
        (7 -> 6 when the karaoke pass fails): each split's parts replaced by
        the stem they came from. None for a mode without splits."""
        if not self.splits:
            return None
        whole = {part: source for source, parts in self.splits.items() for part in parts}
        out: list[str] = []
        for s in self.stems:
            name = whole.get(s, s)
            if name not in out:
                out.append(name)
        return tuple(out)

    def project(self, gains: Mapping[str, float]) -> dict[str, float]:
        """Gains written for any mode -> exactly this mode's stems, in order;
        stems no rule carries over are dropped, missing ones are 0.0."""
        given = {name: float(value) for name, value in gains.items()}
        for source, parts in self.splits.items():
            if source in given:
                value = given.pop(source)
                for part, share in parts.items():
                    given.setdefault(part, value * share)
        out = {name: given.get(name, 0.0) for name in self.stems}
        for source, target in self.folds.items():
            if source in given:
                out[target] = max(out[target], given[source])
        return out


def _mode(name: str, stems: list[str], backend: str, vocal_sub_separation: bool, *,
          vocal_split: str | None = None, opt_in: str | None = None, **rules) -> StemMode:
    return StemMode(name, tuple(stems), backend, vocal_sub_separation,
                    **{k: MappingProxyType(v) for k, v in rules.items()},
                    vocal_split=vocal_split, opt_in=opt_in)


# The registry: every configuration's mode. The first mode of a backend is the
# one it falls back to when it cannot honour vocal_sub_separation.
STEM_MODES: dict[str, StemMode] = {m.name: m for m in (
    _mode("4-stem", FOUR_STEMS, "local", False, folds={**_INSTRUMENT_FOLD, **_VOCAL_FOLD},
          descriptions={OTHER_STEM: OTHER_WITH_GUITAR_AND_PIANO}),
    _mode("6-stem", ALL_STEMS, "modal", False, folds=_VOCAL_FOLD),
    _mode("7-stem", SEVEN_STEMS, "modal", True, splits=_VOCAL_SPLIT, vocal_split="karaoke model"),
    _mode("5-stem", FIVE_STEMS, "local", True, folds=_INSTRUMENT_FOLD, splits=_VOCAL_SPLIT,
          descriptions={OTHER_STEM: OTHER_WITH_GUITAR_AND_PIANO}, vocal_split="offline split",
          opt_in="local_vocal_split"),
)}


def mode_with_stems(stems) -> StemMode:
    """The registered mode whose stems are exactly `stems` (any order): what a
    separation that fell back (a failed karaoke pass) actually returned."""
    wanted = set(stems)
    for mode in STEM_MODES.values():
        if set(mode.stems) == wanted:
            return mode
    raise ValueError(f"no stem mode has exactly the stems {sorted(wanted)}")


def stem_mode(stem_backend: str, vocal_sub_separation: bool,
              opted_in: Collection[str] = ()) -> StemMode:
    """The mode a configuration produces; `opted_in` names the settings that
    are on among the modes' `opt_in`s. A backend with no mode for the flag
    (local without LOCAL_VOCAL_SPLIT) ignores it with a warning."""
    all_modes = [m for m in STEM_MODES.values() if m.backend == stem_backend]
    if not all_modes:
        known = sorted({m.backend for m in STEM_MODES.values()})
        raise ValueError(f"unknown stem backend {stem_backend!r} (expected "
                         + " or ".join(repr(b) for b in known) + ")")
    modes = [m for m in all_modes if m.opt_in is None or m.opt_in in opted_in]
    wanted = bool(vocal_sub_separation)
    for mode in modes:
        if mode.vocal_sub_separation == wanted:
            return mode
    mode = modes[0]
    if wanted:
        logger.warning("%s: it produces %d stems (%s)", split_ignored_reason(stem_backend),
                       len(mode.stems), ", ".join(mode.stems))
    return mode


def split_ignored_reason(stem_backend: str) -> str:
    """Why VOCAL_SUB_SEPARATION gave no lead/backing stems on this backend, and
    which opt-in would (for the log, the CLI and report.json)."""
    hints = [f"{m.opt_in.upper()}=true turns on its {m.vocal_split}"
             for m in STEM_MODES.values()
             if m.backend == stem_backend and m.vocal_sub_separation and m.opt_in]
    return (f"VOCAL_SUB_SEPARATION is ignored with the {stem_backend} stem backend"
            + "".join(f" ({h})" for h in hints))


def stems_for(stem_backend: str, vocal_sub_separation: bool,
              opted_in: Collection[str] = ()) -> list[str]:
    """The stems a configuration produces, in canonical order (a new list)."""
    return list(stem_mode(stem_backend, vocal_sub_separation, opted_in).stems)


def opted_in(settings: Settings) -> frozenset[str]:
    """The modes' opt-in settings that are on in `settings`."""
    return frozenset(m.opt_in for m in STEM_MODES.values()
                     if m.opt_in is not None and getattr(settings, m.opt_in, False))


def vocal_split_for(settings: Settings) -> str | None:
    """The vocal split a job could ask for under these settings (how its
    lead/backing stems would be made), or None where the backend has none:
    what the web page offers. Logs nothing, unlike `stem_mode`."""
    on = opted_in(settings)
    for m in STEM_MODES.values():
        if (m.backend == settings.stem_backend and m.vocal_sub_separation
                and (m.opt_in is None or m.opt_in in on)):
            return m.vocal_split
    return None


def stem_mode_for_settings(settings: Settings) -> StemMode:
    """`stem_mode` on a Settings object."""
    return stem_mode(settings.stem_backend, settings.vocal_sub_separation, opted_in(settings))


def stems_for_settings(settings: Settings) -> list[str]:
    """`stems_for` on a Settings object."""
    return list(stem_mode_for_settings(settings).stems)


def vocal_split_backends() -> list[str]:
    """The stem backends that have a mode for vocal_sub_separation, each with
    the setting it needs, if any (help texts)."""
    return sorted({m.backend + (f" with {m.opt_in.upper()}" if m.opt_in else "")
                   for m in STEM_MODES.values() if m.vocal_sub_separation})


def stem_label(stem_name: str) -> str:
    """A stem's name for people."""
    return STEM_LABELS.get(stem_name, stem_name.replace("_", " ").capitalize())


def is_vocal(stem_name: str) -> bool:
    """True for every stem that goes to the vocal bus."""
    return stem_name in VOCAL_STEM_NAMES


def vocal_stems(stem_names) -> list[str]:
    """The vocal members of a stem list, order kept."""
    return [s for s in stem_names if s in VOCAL_STEM_NAMES]


def instrumental_stems(stem_names) -> list[str]:
    """The non-vocal members of a stem list, order kept."""
    return [s for s in stem_names if s not in VOCAL_STEM_NAMES]

"""Probe prompts for the offline reader, written before running them and
without reading the reader's code: phrased as a wedding DJ, a casual listener
on a phone, a bedroom producer, a non-native English speaker, Spanish and
German speakers, a fast typist with typos and emoji. They cover the kinds the
outside check uses (which song sings, removals, paraphrases, keep/boost
amounts, noise, languages, negations and exceptions, backing vocals) and the
phrasings the reader was known to get wrong (bar ranges, "X in the chorus
only", "keep the bass, kill the rest", a boost that must not make a section
quieter, explanations that quote the user's own words).

Rows have the shape of tests/prompt_table.py (kind, prompt, mode, expect,
layout) and the same expectation keys, plus (tests/prompt_checks.py):
  level_kept  [kind]: each section's summed gain >= the no-prompt plan's there
  full_length True: the plan is as long as the no-prompt plan (a bar range is
              a scope, not a length)
and the section kind "bars A-B": the sections covering bars A..B-1 of the
mashup (counted from its first bar). All probes belong to the DEV split.

First run, before any fix (the reader of main at bcd8149): 27/40 honoured
(song 5/6, removal 4/5, paraphrase 4/6, amount 4/6, scope 0/5, noise 4/5,
language 3/4, negation 3/3), one reversal pair ("keep the bass, kill the
rest" muted the vocals; "no drums in the verses except the last one" muted
the last verse's drums).
"""

from __future__ import annotations

from prompt_table import A_, B_, LV, B, D, G, P, V

_PROBES = [
    # ---- which song sings ----
    ("song", "can the girl from the second track sing over the first one's beat", "6", {"vocal": B_}),
    ("song", "Hollow Pines vocals pls, Midnight Train for the music", "6", {"vocal": B_}),
    ("song", "use the singer of song A but keep song B's band", "4", {"vocal": A_}),
    ("song", "I'd rather hear Cedar Lane's vocalist", "6", {"vocal": B_}),
    ("song", "instrumental of track 1, acapella of track 2", "6", {"vocal": B_}),
    ("song", "dont use B's vocals", "6", {"vocal": A_}),
    # ---- removals ----
    ("removal", "drop the bass in the verses", "6", {"silent": [(B, "verse")], "sounding": [(B, "chorus")]}),
    ("removal", "cut the piano completely", "6", {"silent": [(P, "all")], "sounding": [(G, "chorus")]}),
    ("removal", "remove guitar from the chorus", "6", {"silent": [(G, "chorus")], "sounding": [(G, "verse")]}),
    ("removal", "keep the bass, kill the rest", "6",
     {"silent": [(D, "all"), (G, "all"), (P, "all")], "sounding": [(B, "verse"), (V, "verse")],
      "says": r"vocal"}),
    ("removal", "keep just the drums and vocals, get rid of everything else", "4",
     {"silent": [(B, "all")], "sounding": [(D, "chorus"), (V, "verse")]}),
    # ---- paraphrases ----
    ("paraphrase", "lose the kit in the breakdown", "6",
     {"silent": [(D, "breakdown")], "sounding": [(D, "drop")]}, "edm"),
    ("paraphrase", "no low end till the first chorus", "6",
     {"silent": [(B, "before first chorus")], "sounding": [(B, "last chorus")]}),
    ("paraphrase", "strip it back to just voice and keys", "6", {"only": [("verse", {V, P}), ("chorus", {V, P})]}),
    ("paraphrase", "make the rhythm section sit out the bridge", "6",
     {"silent": [(D, "bridge"), (B, "bridge")], "sounding": [(D, "chorus")]}),
    ("paraphrase", "an instrumental version of the mashup", "6", {"silent": [(V, "all")], "sounding": [(D, "chorus")]}),
    ("paraphrase", "no harmonies in the verses", "7", {"backing": {"verse": (0.0, 0.1)}, "sounding": [(LV, "verse")]}),
    # ---- keep / boost amounts ----
    ("amount", "vocals a touch louder in the chorus", "6", {"raised": [(V, "chorus")], "kept": [(V, "verse")]}),
    ("amount", "bass 3dB quieter", "6", {"ratio": [(B, "verse", 0.6, 0.8)]}),
    ("amount", "drums hit harder in the verses", "6", {"raised": [(D, "verse")], "level_kept": ["verse"]}),
    ("amount", "bigger chorus with more drums", "6", {"raised": [(D, "chorus")], "level_kept": ["chorus"]}),
    ("amount", "keep the guitar but way quieter", "6", {"lowered": [(G, "verse")], "ratio": [(G, "verse", 0.1, 0.5)]}),
    ("amount", "turn up the bass and the drums a bit", "4",
     {"raised": [(B, "verse"), (D, "verse")], "level_kept": ["all"]}),
    # ---- section scopes: bars and "only" ----
    ("scope", "no drums for the first 8 bars", "6",
     {"silent": [(D, "bars 0-8")], "sounding": [(D, "chorus")], "full_length": True, "says": r"bar"}),
    ("scope", "mute the bass for 16 bars", "4",
     {"silent": [(B, "bars 0-16")], "sounding": [(B, "last chorus")], "full_length": True, "says": r"bar"}),
    ("scope", "bring the drums in from bar 9", "6",
     {"silent": [(D, "bars 0-8")], "sounding": [(D, "chorus"), (D, "last verse")], "full_length": True}),
    ("scope", "drums in the chorus only", "6",
     {"silent": [(D, "verse"), (D, "bridge")], "sounding": [(D, "chorus")]}),
    ("scope", "no drums in the verses except the last one", "6",
     {"silent": [(D, "first verse")], "sounding": [(D, "last verse"), (D, "chorus")]}),
    # ---- noise: typos, emoji, shouting ----
    ("noise", "no drumz in teh chrous \U0001f941\u274c", "6", {"silent": [(D, "chorus")], "sounding": [(D, "verse")]}),
    ("noise", "vocls from song b plz!!!", "6", {"vocal": B_}),
    ("noise", "pls remvoe the gutiar", "6", {"silent": [(G, "all")], "says": r"remvoe the gutiar"}),
    ("noise", "\U0001f525\U0001f525 more bass \U0001f525\U0001f525", "4", {"raised": [(B, "verse")]}),
    ("noise", "NO PIANO IN THE BRIDGE!!!", "6", {"silent": [(P, "bridge")], "sounding": [(P, "chorus")]}),
    # ---- languages ----
    ("language", "sin batería en el estribillo", "6",
     {"silent": [(D, "chorus")], "sounding": [(D, "verse")], "says": r"sin bater.a en el estribillo"}),
    ("language", "la voz de la segunda canción", "6", {"vocal": B_}),
    ("language", "ohne Bass in den Strophen bitte", "6", {"silent": [(B, "verse")], "sounding": [(B, "chorus")]}),
    ("language", "mehr Schlagzeug im Refrain", "6", {"raised": [(D, "chorus")]}),
    # ---- negations and exceptions ----
    ("negation", "don't touch the vocals but lose the guitar", "6", {"kept": [(V, "all")], "silent": [(G, "all")]}),
    ("negation", "no guitar anywhere except the bridge", "6",
     {"silent": [(G, "verse"), (G, "chorus")], "sounding": [(G, "bridge")]}),
    ("negation", "the drums shouldn't drop out in the bridge", "6", {"kept": [(D, "bridge")]}),
]

PROBES = [(row[0], row[1], row[2], row[3], row[4] if len(row) > 4 else "pop") for row in _PROBES]


def probes():
    """(index, kind, prompt, mode, expect, layout), indices from 0."""
    return [(i, *row) for i, row in enumerate(PROBES)]

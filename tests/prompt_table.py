"""A second prompt table for the offline reader, phrased the way people type a
mashup request, written from a listener's point of view WITHOUT reading the
planner: voices of a club DJ, a casual listener, a producer, a non-native
English speaker, Spanish/German/French speakers, someone typing fast with
typos, someone with emoji. Each row: (kind, prompt, mode, expectations,
layout). Every third row (index % 3 == 2) is the TEST split, never tuned
against; the rest is DEV.

Songs: A is "Midnight Train" by The Weekenders, B "Hollow Pines" by Cedar Lane
(see interpreter_cases.song_pair). Layouts: "pop" (intro, verse, chorus,
verse, chorus, bridge, chorus, outro), "edm" (intro, breakdown, drop,
breakdown, drop, outro), "nointro" (pop without its intro).

Expectation keys: those of interpreter_cases.check, plus
  raised     [(stem, kind)]: gain above the no-prompt plan's there (or >= 0.99)
  lowered    [(stem, kind)]: 0 < gain < the no-prompt plan's there
  reduced    [(stem, kind)]: gain < the no-prompt plan's there (0 allowed)
  kept       [(stem, kind)]: gain >= the no-prompt plan's there - 0.05
  not_raised [(stem, kind)]: gain <= the no-prompt plan's there + 0.01
  ratio      [(stem, kind, lo, hi)]: gain / the no-prompt plan's gain in [lo, hi]
  pitch      (a, b): median sung pitch of each song in Hz, set on the analyses
  warns_any  True: at least one warning
  says       regex (case-insensitive) that the explanation or a warning matches
  lacks      (label, key, stem): the layout has no `label`; honoured when the
             plan creates it with `key` ("silent"/"sounding"/"raised") holding
             for `stem`, or when a warning names the label
Section kinds: "all", a label ("verse"), "first/second/last <label>",
"before first <label>" (sections ending by its start), "after first <label>"
(sections starting at or after its end), "from first <label>" (it and after).
Every plan must also be audible: no section with every gain 0.
"""

from __future__ import annotations

V, D, B, G, P, O = "vocals", "drums", "bass", "guitar", "piano", "other"  # noqa: E741 - one-letter stem aliases keep the table rows short
LV, BV = "lead_vocals", "backing_vocals"
A_, B_ = "song_a", "song_b"
CONFLICT = r"conflict|contradict|overrid|later|instead"

POP_LAYOUT = (("intro", 8), ("verse", 16), ("chorus", 8), ("verse", 16), ("chorus", 8),
              ("bridge", 8), ("chorus", 8), ("outro", 8))
LAYOUTS = {
    "pop": POP_LAYOUT,
    "edm": (("intro", 16), ("breakdown", 8), ("drop", 16), ("breakdown", 8), ("drop", 16),
            ("outro", 8)),
    "nointro": POP_LAYOUT[1:],
}

_ROWS = [
    # ---- which song sings ----
    ("song", "yo, vocals off track B over the A beat", "6", {"vocal": B_}),
    ("song", "lemme hear the first song's singer on the second song's instrumental", "6", {"vocal": A_}),
    ("song", "I want the voice from Hollow Pines", "6", {"vocal": B_}),
    ("song", "Cedar Lane singing please", "4", {"vocal": B_}),
    ("song", "The Weekenders on vocals, Cedar Lane on the band", "6", {"vocal": A_}),
    ("song", "sing from the second, play from the first", "6", {"vocal": B_}),
    ("song", "put the latter's vocals on the former's beat", "6", {"vocal": B_}),
    ("song", "the former sings over the latter", "6", {"vocal": A_}),
    ("song", "take the former's instrumental and the latter's vocals", "7", {"vocal": B_}),
    ("song", "song b vocal, song a instrumental", "4", {"vocal": B_}),
    ("song", "A: beat, B: vox", "6", {"vocal": B_}),
    ("song", "vox from A", "6", {"vocal": A_}),
    ("song", "Midnight Train acapella over Hollow Pines", "6", {"vocal": A_}),
    ("song", "Hollow Pines instrumental with the Midnight Train vocal on top", "6", {"vocal": A_}),
    ("song", "mix the singer of the first one with the music of the second one", "6", {"vocal": A_}),
    ("song", "i want hear the voice of song two with music of song one", "6", {"vocal": B_}),
    ("song", "her voice over their groove", "6", {"vocal": A_, "pitch": (330.0, 160.0)}),
    ("song", "her voice over their groove", "7", {"vocal": B_, "pitch": (150.0, 340.0)}),
    ("song", "his vocals over her band", "6", {"vocal": A_, "pitch": (140.0, 320.0)}),
    ("song", "her vocals, his beat", "4", {"vocal": B_, "pitch": (170.0, 330.0)}),
    ("song", "her voice on top please", "6", {"says": r"guess"}),
    ("song", "put him on top of her track", "6", {"vocal": A_, "pitch": (150.0, 350.0)}),
    ("song", "the Weekenders' instrumental with Cedar Lane's singer", "6", {"vocal": B_}),
    ("song", "second song vocals but the first song's drums", "6", {"vocal": B_}),
    ("song", "voice: track 1", "6", {"vocal": A_}),
    ("song", "B sings", "6", {"vocal": B_}),
    ("song", "let A sing", "6", {"vocal": A_}),
    ("song", "swap it around, B's vocals this time", "7", {"vocal": B_}),
    ("song", "his voice over the other one", "6", {"vocal": B_, "pitch": (300.0, 130.0)}),
    ("song", "vocals from midnight train, beat from hollow pines", "6", {"vocal": A_}),
    # ---- stem removals ----
    ("removal", "no drums", "4", {"silent": [(D, "all")], "sounding": [(B, "verse")]}),
    ("removal", "kill the bass", "6", {"silent": [(B, "all")], "sounding": [(D, "chorus")]}),
    ("removal", "mute the guitar", "6", {"silent": [(G, "all")], "sounding": [(P, "chorus")]}),
    ("removal", "lose the piano please", "6", {"silent": [(P, "all")]}),
    ("removal", "take out the vocals", "6", {"silent": [(V, "all")], "sounding": [(D, "chorus")]}),
    ("removal", "remove drums and bass", "4", {"silent": [(D, "all"), (B, "all")], "sounding": [(O, "chorus")]}),
    ("removal", "get rid of the vocals in the bridge", "6", {"silent": [(V, "bridge")], "sounding": [(V, "chorus")]}),
    ("removal", "without piano", "6", {"silent": [(P, "all")], "sounding": [(G, "chorus")]}),
    ("removal", "strip out the guitar and piano", "6", {"silent": [(G, "all"), (P, "all")]}),
    ("removal", "cut the piano", "7", {"silent": [(P, "all")], "sounding": [(LV, "verse")]}),
    ("removal", "no vocals at all", "7", {"silent": [(LV, "all"), (BV, "all")], "sounding": [(D, "chorus")]}),
    ("removal", "drums out", "6", {"silent": [(D, "all")]}),
    # ---- paraphrases ----
    ("paraphrase", "no kit", "6", {"silent": [(D, "all")], "sounding": [(B, "chorus")]}),
    ("paraphrase", "lose the percussion", "6", {"silent": [(D, "all")]}),
    ("paraphrase", "drumless version", "6", {"silent": [(D, "all")], "sounding": [(B, "verse")]}),
    ("paraphrase", "no beat in the verses", "6", {"silent": [(D, "verse")], "sounding": [(D, "chorus")]}),
    ("paraphrase", "cut the low end", "6", {"silent": [(B, "all")], "sounding": [(D, "chorus")]}),
    ("paraphrase", "no bottom end in the intro", "6", {"silent": [(B, "intro")], "sounding": [(B, "chorus")]}),
    ("paraphrase", "remove the keys", "6", {"silent": [(P, "all")], "sounding": [(G, "chorus")]}),
    ("paraphrase", "drop the rhythm section", "6", {"silent": [(D, "all"), (B, "all")], "sounding": [(V, "verse")]}),
    ("paraphrase", "acapella version", "6",
     {"silent": [(D, "verse"), (B, "chorus"), (G, "chorus")], "sounding": [(V, "verse")]}),
    ("paraphrase", "just the instrumental", "6", {"silent": [(V, "all")], "sounding": [(D, "chorus")]}),
    ("paraphrase", "make it drumless", "4", {"silent": [(D, "all")], "sounding": [(V, "verse")]}),
    ("paraphrase", "no harmonies", "7",
     {"backing": {"verse": (0.0, 0.1), "chorus": (0.0, 0.1)}, "sounding": [(LV, "verse")]}),
    ("paraphrase", "lose the choir", "7", {"backing": {"chorus": (0.0, 0.1)}, "sounding": [(LV, "chorus")]}),
    ("paraphrase", "no ad-libs", "7", {"backing": {"verse": (0.0, 0.1), "chorus": (0.0, 0.1)}}),
    ("paraphrase", "no guitars", "6", {"silent": [(G, "all")]}),
    ("paraphrase", "kill the sub bass", "6", {"silent": [(B, "all")]}),
    ("paraphrase", "strip the vox", "6", {"silent": [(V, "all")], "sounding": [(D, "chorus")]}),
    ("paraphrase", "no vox in the hook", "6", {"silent": [(V, "chorus")], "sounding": [(V, "verse")]}),
    ("paraphrase", "bass out on the drop", "6", {"silent": [(B, "drop")], "sounding": [(D, "drop")]}, "edm"),
    ("paraphrase", "no drums on the bridge", "6", {"silent": [(D, "bridge")], "sounding": [(D, "chorus")]}),
    ("paraphrase", "ditch the keys in the chorus", "6", {"silent": [(P, "chorus")], "sounding": [(P, "verse")]}),
    ("paraphrase", "a cappella", "4", {"silent": [(D, "verse"), (B, "verse")], "sounding": [(V, "verse")]}),
    # ---- keep / boost / cut amounts ----
    ("amount", "turn the vocals up", "6", {"raised": [(V, "verse")]}),
    ("amount", "a bit more bass", "6", {"raised": [(B, "verse")]}),
    ("amount", "bass a bit quieter", "6", {"lowered": [(B, "verse")], "ratio": [(B, "verse", 0.6, 0.97)]}),
    ("amount", "way less guitar", "6", {"lowered": [(G, "chorus")], "ratio": [(G, "chorus", 0.05, 0.55)]}),
    ("amount", "drums way louder", "6", {"raised": [(D, "verse"), (D, "chorus")]}),
    ("amount", "vocals 3 dB quieter", "6", {"ratio": [(V, "verse", 0.6, 0.8)]}),
    ("amount", "bass down 6dB", "4", {"ratio": [(B, "verse", 0.4, 0.6)]}),
    ("amount", "drums at 50%", "6", {"ratio": [(D, "verse", 0.4, 0.65)]}),
    ("amount", "piano down 30%", "6", {"ratio": [(P, "verse", 0.6, 0.8)]}),
    ("amount", "drums hit harder in the verses", "6", {"raised": [(D, "verse")]}),
    ("amount", "quieter drums in the chorus", "6", {"lowered": [(D, "chorus")], "kept": [(D, "verse")]}),
    ("amount", "keep the bass", "6", {"kept": [(B, "all")]}),
    ("amount", "boost the keys", "6", {"raised": [(P, "verse")]}),
    ("amount", "louder guitar in the bridge", "6", {"raised": [(G, "bridge")]}),
    ("amount", "softer piano", "6", {"lowered": [(P, "verse")]}),
    ("amount", "push the vocals", "7", {"raised": [(LV, "verse")]}),
    ("amount", "bring the bass up a touch", "6", {"raised": [(B, "verse")]}),
    ("amount", "just a little less kick", "6", {"lowered": [(D, "verse")]}),
    ("amount", "turn down the backing vocals a bit", "7", {"lowered": [(BV, "chorus")]}),
    ("amount", "crank the bass", "4", {"raised": [(B, "chorus")]}),
    ("amount", "make the drums quieter", "6", {"lowered": [(D, "verse"), (D, "chorus")]}),
    ("amount", "too much piano", "6", {"reduced": [(P, "verse")]}),
    ("amount", "way too much bass", "6", {"reduced": [(B, "verse")]}),
    ("amount", "drums r too loud", "6", {"lowered": [(D, "chorus")]}),
    # ---- section scopes ----
    ("scope", "no drums after the first chorus", "6",
     {"silent": [(D, "after first chorus")], "sounding": [(D, "first verse")]}),
    ("scope", "no bass until the drop", "6", {"silent": [(B, "before first drop")], "sounding": [(B, "drop")]}, "edm"),
    ("scope", "mute the guitar in the choruses", "6", {"silent": [(G, "chorus")], "sounding": [(G, "verse")]}),
    ("scope", "no drums in the first verse", "6", {"silent": [(D, "first verse")], "sounding": [(D, "last verse")]}),
    ("scope", "drums out for the last chorus", "6",
     {"silent": [(D, "last chorus")], "sounding": [(D, "first chorus")]}),
    ("scope", "kill the bass in the bridge and the outro", "6",
     {"silent": [(B, "bridge"), (B, "outro")], "sounding": [(B, "chorus")]}),
    ("scope", "strip the drums in the verses, louder in the choruses", "6",
     {"silent": [(D, "verse")], "raised": [(D, "chorus")]}),
    ("scope", "no guitar from the bridge on", "6",
     {"silent": [(G, "from first bridge")], "sounding": [(G, "first chorus")]}),
    ("scope", "drop the drums till the chorus", "6",
     {"silent": [(D, "before first chorus")], "sounding": [(D, "chorus")]}),
    ("scope", "no bass in the breakdowns", "6", {"silent": [(B, "breakdown")], "sounding": [(B, "drop")]}, "edm"),
    ("scope", "louder drums on the drops", "6", {"raised": [(D, "drop")]}, "edm"),
    ("scope", "no piano in the second verse", "6", {"silent": [(P, "second verse")], "sounding": [(P, "first verse")]}),
    ("scope", "guitar only comes in after the first chorus", "6",
     {"silent": [(G, "before first chorus")], "sounding": [(G, "last chorus")]}),
    ("scope", "quiet bass in the verses", "6", {"reduced": [(B, "verse")], "kept": [(B, "chorus")]}),
    ("scope", "vocals out in the intro and outro", "6",
     {"silent": [(V, "intro"), (V, "outro")], "sounding": [(V, "verse")]}),
    # ---- negations and exceptions ----
    ("negation", "don't remove the bass", "6", {"kept": [(B, "all")], "sounding": [(B, "all")]}),
    ("negation", "never cut the drums", "6", {"kept": [(D, "all")]}),
    ("negation", "don't mute the vocals, mute the drums", "6", {"kept": [(V, "verse")], "silent": [(D, "all")]}),
    ("negation", "don't lose the drums in the chorus, only in the verses", "6",
     {"silent": [(D, "verse")], "sounding": [(D, "chorus")]}),
    ("negation", "keep everything except the drums", "6",
     {"silent": [(D, "all")], "sounding": [(B, "verse"), (V, "verse")]}),
    ("negation", "give me everything but the vocals", "6", {"silent": [(V, "all")], "sounding": [(D, "chorus")]}),
    ("negation", "don't touch the guitar", "6", {"kept": [(G, "all")]}),
    ("negation", "I don't want any piano", "6", {"silent": [(P, "all")]}),
    ("negation", "nothing but drums and bass", "6", {"only": [("verse", {D, B}), ("chorus", {D, B})]}),
    ("negation", "everything except bass and drums", "6",
     {"silent": [(D, "all"), (B, "all")], "sounding": [(G, "chorus")]}),
    ("negation", "all the stems but the guitar", "6", {"silent": [(G, "all")], "sounding": [(P, "chorus")]}),
    ("negation", "keep the vocals, lose the rest", "6", {"only": [("verse", {V}), ("chorus", {V})]}),
    ("negation", "the drums are fine, don't change them", "6", {"kept": [(D, "all")]}),
    ("negation", "without the keys but with the guitar", "6", {"silent": [(P, "all")], "kept": [(G, "chorus")]}),
    ("negation", "no, don't remove the piano", "6", {"kept": [(P, "all")]}),
    ("negation", "don't make the drums quieter", "6", {"kept": [(D, "all")]}),
    ("negation", "don't boost the bass", "6", {"not_raised": [(B, "all")], "sounding": [(B, "verse")]}),
    ("negation", "not the drums, just take the bass out", "6", {"kept": [(D, "verse")], "silent": [(B, "all")]}),
    ("negation", "don't strip the backing vocals", "7", {"backing": {"chorus": (0.3, 1.0)}}),
    ("negation", "no drums except in the chorus", "6", {"silent": [(D, "verse")], "sounding": [(D, "chorus")]}),
    ("negation", "mute everything except the vocals in the bridge", "6",
     {"only": [("bridge", {V})], "sounding": [(D, "chorus")]}),
    ("negation", "remove the vocals but not in the chorus", "6",
     {"silent": [(V, "verse")], "sounding": [(V, "chorus")]}),
    ("negation", "only the guitar and the vocals", "6", {"only": [("verse", {G, V}), ("chorus", {G, V})]}),
    ("negation", "don't use B's vocals", "6", {"vocal": A_}),
    ("negation", "not the first song's vocals", "6", {"vocal": B_}),
    ("negation", "anything but the Hollow Pines singer", "6", {"vocal": A_}),
    ("negation", "never drop the bass on the drop", "6", {"kept": [(B, "drop")]}, "edm"),
    ("negation", "don't take out the drums in the verses", "6", {"kept": [(D, "verse")]}),
    ("negation", "keep the drums, no bass", "4", {"kept": [(D, "all")], "silent": [(B, "all")]}),
    ("negation", "no guitar but keep the piano", "6", {"silent": [(G, "all")], "kept": [(P, "all")]}),
    ("negation", "drums everywhere except the bridge", "6",
     {"silent": [(D, "bridge")], "sounding": [(D, "verse"), (D, "chorus")]}),
    ("negation", "don't kill the vocals in the chorus", "6", {"kept": [(V, "chorus")]}),
    # ---- backing vocals (7 stems) ----
    ("backing", "no backing vox", "7", {"backing": {"verse": (0.0, 0.1), "chorus": (0.0, 0.1)}}),
    ("backing", "more harmonies in the chorus", "7", {"raised": [(BV, "chorus")]}),
    ("backing", "lead vocal only", "7",
     {"backing": {"verse": (0.0, 0.1), "chorus": (0.0, 0.1)}, "sounding": [(LV, "verse")]}),
    ("backing", "keep the choir", "7", {"kept": [(BV, "chorus")]}),
    ("backing", "ad-libs only on the last chorus", "7",
     {"backing": {"first chorus": (0.0, 0.1), "verse": (0.0, 0.1)}, "sounding": [(BV, "last chorus")]}),
    ("backing", "quieter backing vocals", "7", {"lowered": [(BV, "chorus")]}),
    ("backing", "double the hook with harmonies", "7", {"raised": [(BV, "chorus")]}),
    ("backing", "kill the lead, keep the harmonies", "7", {"silent": [(LV, "all")], "sounding": [(BV, "chorus")]}),
    ("backing", "no backing vocals", "6", {"warns_any": True, "sounding": [(V, "verse")]}),
    ("backing", "strip the choir in the verses only", "7",
     {"backing": {"verse": (0.0, 0.1)}, "sounding": [(BV, "chorus")]}),
    # ---- noise: typos, emoji, shouting ----
    ("noise", "no drumz", "6", {"silent": [(D, "all")]}),
    ("noise", "remvoe the bass", "6", {"silent": [(B, "all")]}),
    ("noise", "no druns in the vrses", "6", {"silent": [(D, "verse")], "sounding": [(D, "chorus")]}),
    ("noise", "lose the gitar", "6", {"silent": [(G, "all")]}),
    ("noise", "kil the piano", "6", {"silent": [(P, "all")]}),
    ("noise", "vocals form song b", "6", {"vocal": B_}),
    ("noise", "no vocles", "6", {"silent": [(V, "all")]}),
    ("noise", "quiter drums", "6", {"lowered": [(D, "verse")]}),
    ("noise", "🔥🔥 no drums 🔥🔥", "6", {"silent": [(D, "all")]}),
    ("noise", "NO DRUMS!!!", "4", {"silent": [(D, "all")]}),
    ("noise", "no drums pls 🙏", "6", {"silent": [(D, "all")]}),
    ("noise", "vocals from song B 💯 and no piano", "6", {"vocal": B_, "silent": [(P, "all")]}),
    ("noise", "less bass 😅", "6", {"lowered": [(B, "verse")]}),
    ("noise", "heavy bass!!! 🔊", "6", {"featured": [(B, "all")]}),
    ("noise", "no drums in the chrous", "6", {"silent": [(D, "chorus")], "sounding": [(D, "verse")]}),
    ("noise", "instrumentl pls", "6", {"silent": [(V, "all")]}),
    ("noise", "acapela", "6", {"silent": [(D, "verse"), (B, "verse")], "sounding": [(V, "verse")]}),
    ("noise", "pls no piano thx", "6", {"silent": [(P, "all")]}),
    ("noise", "please no the drums", "6", {"silent": [(D, "all")]}),
    ("noise", "I want that bass is more loud", "6", {"raised": [(B, "verse")]}),
    ("noise", "without of guitar", "6", {"silent": [(G, "all")]}),
    ("noise", "the drums must to be quiet in verse", "6", {"reduced": [(D, "verse")], "kept": [(D, "chorus")]}),
    ("noise", "no no no drums", "6", {"silent": [(D, "all")]}),
    ("noise", "dont remove teh bass", "6", {"kept": [(B, "all")]}),
    # ---- Spanish / German / French ----
    ("language", "sin batería", "6", {"silent": [(D, "all")], "sounding": [(B, "verse")]}),
    ("language", "quita el bajo", "6", {"silent": [(B, "all")]}),
    ("language", "la voz de la segunda canción", "6", {"vocal": B_}),
    ("language", "sin voz", "6", {"silent": [(V, "all")]}),
    ("language", "sin guitarra en el estribillo", "6", {"silent": [(G, "chorus")], "sounding": [(G, "verse")]}),
    ("language", "sube la batería", "6", {"raised": [(D, "verse")]}),
    ("language", "voces de la canción B sobre la base de la A", "6", {"vocal": B_}),
    ("language", "sin piano en las estrofas", "6", {"silent": [(P, "verse")], "sounding": [(P, "chorus")]}),
    ("language", "ohne Schlagzeug", "6", {"silent": [(D, "all")]}),
    ("language", "keine Drums im Refrain", "6", {"silent": [(D, "chorus")], "sounding": [(D, "verse")]}),
    ("language", "Gesang vom zweiten Song", "6", {"vocal": B_}),
    ("language", "ohne Bass", "4", {"silent": [(B, "all")]}),
    ("language", "ohne Gesang", "6", {"silent": [(V, "all")]}),
    ("language", "die Stimme aus dem ersten Lied", "6", {"vocal": A_}),
    ("language", "kein Klavier in den Strophen", "6", {"silent": [(P, "verse")], "sounding": [(P, "chorus")]}),
    ("language", "sans batterie", "6", {"silent": [(D, "all")]}),
    ("language", "la voix de la deuxième chanson", "6", {"vocal": B_}),
    ("language", "sans basse dans le refrain", "6", {"silent": [(B, "chorus")], "sounding": [(B, "verse")]}),
    ("language", "pas de guitare", "6", {"silent": [(G, "all")]}),
    ("language", "sans voix", "6", {"silent": [(V, "all")]}),
    ("language", "enlève le piano", "6", {"silent": [(P, "all")]}),
    ("language", "la voix de la première chanson sur la musique de la deuxième", "6", {"vocal": A_}),
    ("language", "Mets la voix de la deuxième chanson sur la batterie de la première, sans piano", "6",
     {"vocal": B_, "silent": [(P, "all")]}),
    ("language", "no quiero batería", "6", {"silent": [(D, "all")]}),
    # ---- contradictions ----
    ("contradiction", "only drums, and no drums", "6", {"silent": [(D, "all")], "says": CONFLICT}),
    ("contradiction", "no bass, actually keep the bass", "6", {"kept": [(B, "all")], "says": CONFLICT}),
    ("contradiction", "mute the vocals, no wait, keep the vocals", "6", {"kept": [(V, "verse")], "says": CONFLICT}),
    ("contradiction", "loud drums, quiet drums", "6", {"lowered": [(D, "verse")], "says": CONFLICT}),
    ("contradiction", "no guitar. more guitar", "6", {"raised": [(G, "chorus")], "says": CONFLICT}),
    ("contradiction", "vocals only, no vocals", "6", {"silent": [(V, "all")], "says": CONFLICT}),
    ("contradiction", "mute everything", "6", {"warns_any": True}),
    ("contradiction", "no drums no bass no guitar no piano no vocals no other", "6", {"warns_any": True}),
    ("contradiction", "no vocals and no instrumental", "6", {"warns_any": True}),
    ("contradiction", "B sings. no, A sings", "6", {"vocal": A_}),
    ("contradiction", "drums up, drums down", "6", {"lowered": [(D, "verse")], "says": CONFLICT}),
    ("contradiction", "total silence in the bridge", "6", {"warns_any": True}),
    ("contradiction", "only bass in the intro, no bass in the intro", "4",
     {"silent": [(B, "intro")], "says": CONFLICT}),
    # ---- sections the layout lacks ----
    ("missing", "no drums in the intro", "6", {"lacks": ("intro", "silent", D)}, "nointro"),
    ("missing", "no bass in the bridge", "6", {"lacks": ("bridge", "silent", B)}, "edm"),
    ("missing", "kill the vocals on the drop", "6", {"lacks": ("drop", "silent", V), "sounding": [(V, "chorus")]}),
    ("missing", "harmonies on the bridge", "7", {"lacks": ("bridge", "raised", BV)}, "edm"),
    ("missing", "drums out for the breakdown", "6", {"lacks": ("breakdown", "silent", D), "sounding": [(D, "chorus")]}),
    ("missing", "drop the drums in the verses", "4", {"lacks": ("verse", "silent", D)}, "edm"),
    ("missing", "piano only in the intro", "6", {"lacks": ("intro", "sounding", P)}, "nointro"),
    ("missing", "no guitar in the bridge, no piano", "6",
     {"lacks": ("bridge", "silent", G), "silent": [(P, "all")]}, "edm"),
]

ROWS = [(row[0], row[1], row[2], row[3], row[4] if len(row) > 4 else "pop") for row in _ROWS]


def split(index: int) -> str:
    """Every third row (by index) is the held-out TEST split."""
    return "test" if index % 3 == 2 else "dev"


def rows(which: str | None = None):
    """(index, kind, prompt, mode, expect, layout) of one split, or of all rows."""
    return [(i, *row) for i, row in enumerate(ROWS) if which is None or split(i) == which]

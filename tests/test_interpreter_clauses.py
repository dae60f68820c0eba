"""The offline reader's rules (issue 16), one test per rule: negation and
exception scope, section scope, amounts, song references and pronouns,
typos and languages, the later clause winning, no silent section, sections
the layout lacks, and an explanation that lists every clause."""

from __future__ import annotations

import pytest
from prompt_checks import analyses, baseline, plan_for

from musicmixer.interpreter import lexicon as lx
from musicmixer.interpreter.normalise import correction, normalise
from musicmixer.interpreter.prompt_reading import read_prompt


def gains(plan, stem, label=None):
    return [s.stem_gains[stem] for s in plan.sections if label is None or s.label == label]


def base(stem, label=None, mode="6", layout="pop"):
    return gains(baseline(mode, layout), stem, label)


# -- negation --

@pytest.mark.parametrize("prompt, stem", [("don't remove the bass", "bass"), ("never cut the drums", "drums"),
                                          ("do not mute the piano", "piano"), ("don't touch the guitar", "guitar"),
                                          ("don't make the drums quieter", "drums")])
def test_a_negated_removal_keeps_the_stem_as_planned(prompt, stem):
    assert gains(plan_for(prompt, "6"), stem) == base(stem)


def test_negation_scopes_over_its_own_clause_only():
    plan = plan_for("don't mute the vocals, mute the drums", "6")
    assert gains(plan, "vocals") == base("vocals")
    assert set(gains(plan, "drums")) == {0.0}


def test_dont_boost_keeps_the_planned_gain_and_dont_keep_mutes():
    assert gains(plan_for("don't boost the bass", "6"), "bass") == base("bass")
    assert set(gains(plan_for("don't keep the drums", "6"), "drums")) == {0.0}


def test_a_negated_song_reference_picks_the_other_song():
    a, b = analyses("6")
    assert read_prompt("don't use B's vocals", a, b).vocal_source == "song_a"
    assert read_prompt("not the first song's vocals", a, b).vocal_source == "song_b"
    assert read_prompt("anything but the Hollow Pines singer", a, b).vocal_source == "song_a"


# -- exceptions --

def test_everything_except_mutes_the_exception():
    for prompt in ("keep everything except the drums", "give me everything but the drums",
                   "all the stems but the drums"):
        plan = plan_for(prompt, "6")
        assert set(gains(plan, "drums")) == {0.0}, prompt
        assert gains(plan, "bass") == base("bass"), prompt


def test_mute_everything_except_keeps_only_the_exception():
    plan = plan_for("mute everything except the vocals in the bridge", "6")
    bridge = next(s for s in plan.sections if s.label == "bridge")
    assert {k for k, g in bridge.stem_gains.items() if g > 0} == {"vocals"}
    assert gains(plan, "drums", "chorus") == base("drums", "chorus")


def test_an_exception_takes_sections_out_of_a_wish():
    plan = plan_for("no drums except in the chorus", "6")
    assert set(gains(plan, "drums", "verse")) == {0.0}
    assert gains(plan, "drums", "chorus") == base("drums", "chorus")
    plan = plan_for("drums everywhere except the bridge", "6")
    assert gains(plan, "drums", "bridge") == [0.0]
    assert gains(plan, "drums", "verse") == base("drums", "verse")


def test_a_scope_only_clause_modifies_the_clause_before():
    plan = plan_for("don't lose the drums in the chorus, only in the verses", "6")
    assert set(gains(plan, "drums", "verse")) == {0.0}
    assert gains(plan, "drums", "chorus") == base("drums", "chorus")
    plan = plan_for("remove the vocals but not in the chorus", "6")
    assert set(gains(plan, "vocals", "verse")) == {0.0}
    assert gains(plan, "vocals", "chorus") == base("vocals", "chorus")


# -- sections --

@pytest.mark.parametrize("prompt, silent, sounding", [
    ("no drums after the first chorus", [3, 4, 5, 6, 7], [1, 2]),
    ("no guitar from the bridge on", [5, 6, 7], [4]),
    ("no piano in the second verse", [3], [1]),
    ("drop the drums till the chorus", [0, 1], [2, 3]),
    ("guitar only comes in after the first chorus", [0, 1, 2], [3, 6]),
])
def test_section_scopes(prompt, silent, sounding):
    plan = plan_for(prompt, "6")
    stem = next(s for s in ("drums", "guitar", "piano") if s in prompt)
    assert [s.label for s in plan.sections] == ["intro", "verse", "chorus", "verse", "chorus", "bridge",
                                                "chorus", "outro"]
    assert all(plan.sections[i].stem_gains[stem] == 0.0 for i in silent)
    assert all(plan.sections[i].stem_gains[stem] > 0.0 for i in sounding)


def test_a_wish_about_a_section_the_layout_lacks_is_reported():
    plan = plan_for("no drums in the intro", "6", "nointro")
    assert "intro" not in [s.label for s in plan.sections]
    assert any("no intro section" in w for w in plan.warnings)
    assert "Ignored (no such section)" in plan.explanation


# -- amounts --

@pytest.mark.parametrize("prompt, lo, hi", [("bass a bit quieter", 0.75, 0.85), ("way less bass", 0.2, 0.3),
                                            ("bass down 6dB", 0.48, 0.52), ("bass at 50%", 0.49, 0.51),
                                            ("bass down 30%", 0.69, 0.71), ("less bass", 0.39, 0.41)])
def test_amounts_scale_the_planned_gain(prompt, lo, hi):
    plan = plan_for(prompt, "6")
    for got, planned in zip(gains(plan, "bass"), base("bass")):
        assert lo <= got / planned <= hi


def test_a_bit_louder_is_less_than_way_louder():
    bit = gains(plan_for("bass a bit louder", "6"), "bass", "verse")[0]
    way = gains(plan_for("bass way louder", "6"), "bass", "verse")[0]
    assert base("bass", "verse")[0] < bit < way


# -- which song sings: pronouns --

def test_her_voice_is_the_song_whose_vocals_sit_higher():
    a, b = analyses("6", pitch=(150.0, 340.0))
    reading = read_prompt("her voice over their groove", a, b)
    assert reading.vocal_source == "song_b"
    assert any("sit higher" in n for n in reading.vocal_notes)
    a, b = analyses("6", pitch=(150.0, 340.0))
    assert read_prompt("his vocals over her band", a, b).vocal_source == "song_a"


def test_a_pronoun_without_a_clear_pitch_gap_is_called_a_guess():
    a, b = analyses("6", pitch=(220.0, 240.0))
    assert any("guess" in n for n in read_prompt("her voice please", a, b).vocal_notes)
    plan = plan_for("her voice on top", "6")
    assert "guess" in plan.explanation


def test_former_and_latter():
    a, b = analyses("6")
    assert read_prompt("the latter's vocals on the former's beat", a, b).vocal_source == "song_b"
    assert read_prompt("the former sings over the latter", a, b).vocal_source == "song_a"


# -- typos and languages --

def test_typos_are_corrected_against_the_lexicon_only():
    assert normalise("no drumz in the vrses")[0] == "no drums in the verses"
    assert correction("remvoe") == "remove" and correction("chrous") == "chorus"
    assert correction("purple") is None and correction("sparkle") is None  # not near a lexicon word
    assert correction("his") is None and correction("after") is None  # common words stay


@pytest.mark.parametrize("prompt, stem, label", [("sin batería en el estribillo", "drums", "chorus"),
                                                 ("keine Drums im Refrain", "drums", "chorus"),
                                                 ("sans basse dans le refrain", "bass", "chorus"),
                                                 ("ohne Gesang", "vocals", None)])
def test_simple_spanish_german_and_french(prompt, stem, label):
    plan = plan_for(prompt, "6")
    assert set(gains(plan, stem, label)) == {0.0}


def test_song_choice_in_other_languages():
    a, b = analyses("6")
    assert read_prompt("la voz de la segunda canción", a, b).vocal_source == "song_b"
    assert read_prompt("die Stimme aus dem ersten Lied", a, b).vocal_source == "song_a"


# -- contradictions and silence --

def test_the_later_clause_wins_and_is_reported():
    plan = plan_for("only drums, and no drums", "6")
    assert set(gains(plan, "drums")) == {0.0}
    assert all(any(g > 0 for g in s.stem_gains.values()) for s in plan.sections)
    assert 'Conflicting: "only drums"' in plan.explanation
    assert "the later clause wins" in plan.explanation
    plan = plan_for("no bass, actually keep the bass", "6")
    assert gains(plan, "bass") == base("bass")


def test_the_later_song_choice_wins():
    a, b = analyses("6")
    reading = read_prompt("B sings. no, A sings", a, b)
    assert reading.vocal_source == "song_a" and "later clause wins" in reading.vocal_notes[0]


@pytest.mark.parametrize("prompt", ["mute everything", "no vocals and no instrumental",
                                    "no drums no bass no guitar no piano no other no vocals",
                                    "total silence in the bridge"])
@pytest.mark.parametrize("mode", ["4", "7"])
def test_no_plan_leaves_a_section_silent(prompt, mode):
    plan = plan_for(prompt, mode)
    assert all(any(g > 0 for g in s.stem_gains.values()) for s in plan.sections)
    assert any("silent" in w for w in plan.warnings)


# -- explanations --

def test_every_clause_is_listed_as_applied_ignored_or_conflicting():
    plan = plan_for("no drums in the verses, make it sparkle, loud bass, quiet bass, no piano in the drop",
                    "6")
    text = plan.explanation
    assert '"no drums in the verses" (no drums in the verse sections' in text
    assert 'Ignored (not understood): "make it sparkle"' in text
    assert 'Conflicting: "loud bass" (bass overridden by "quiet bass"' in text
    assert 'Ignored (no such section): "no piano in the drop"' in text


def test_the_lexicon_is_data_with_musicians_synonyms():
    wanted = {"kit": "drums", "percussion": "drums", "beat": "drums", "low end": "bass", "bottom end": "bass",
              "keys": "piano", "rhythm section": lx.RHYTHM, "harmonies": lx.BACKING, "choir": lx.BACKING,
              "ad-libs": lx.BACKING, "acapella": lx.VOCALS, "instrumental": lx.INSTRUMENTAL}
    assert {k: lx.STEM_PHRASES[k] for k in wanted} == wanted
    assert {"hook", "drop", "bridge"} <= {w for ws in lx.SCOPE_WORDS.values() for w in ws}
    assert lx.DATA["stems"]["drums"]  # read from lexicon.json


# -- phrasings found by probing beyond the table --

def test_no_before_a_boost_and_dislike_are_read_as_negative():
    assert gains(plan_for("no heavy drums", "6"), "drums") == base("drums")
    assert set(gains(plan_for("I don't like the piano", "6"), "piano")) == {0.0}


def test_a_negation_reaches_the_song_through_its_cue():
    a, b = analyses("6")
    assert read_prompt("don't take the vocals from song B", a, b).vocal_source == "song_a"
    plan = plan_for("no piano and vocals from song B", "6")
    assert plan.vocal_source == "song_b" and set(gains(plan, "piano")) == {0.0}
    assert gains(plan, "vocals", "verse") == base("vocals", "verse")


def test_keep_with_a_how_and_colon_lists():
    plan = plan_for("keep the bass from track one really loud", "6")
    assert all(g >= p for g, p in zip(gains(plan, "bass"), base("bass")))
    assert gains(plan, "drums") == base("drums")  # "loud" here is the bass's, not a mood
    plan = plan_for("drums: off; bass: up", "6")
    assert set(gains(plan, "drums")) == {0.0} and gains(plan, "bass", "verse")[0] > base("bass", "verse")[0]


def test_before_and_after_count_from_the_named_ordinal():
    plan = plan_for("until the second drop no bass", "6", "edm")
    second = [i for i, s in enumerate(plan.sections) if s.label == "drop"][1]
    assert all(s.stem_gains["bass"] == 0.0 for s in plan.sections[:second])
    assert plan.sections[second].stem_gains["bass"] > 0.0


def test_a_clause_naming_songs_without_roles_is_not_reported_as_applied():
    plan = plan_for("song A song B song A song B first second", "6")
    assert "Applied" not in plan.explanation


def test_a_stem_naming_a_songs_role_is_not_a_stem_wish():
    plan = plan_for("i want only the vocal of the first song and the beat of the second", "6")
    assert plan.vocal_source == "song_a"
    assert gains(plan, "drums") == base("drums")  # not an a cappella
    a, b = analyses("6")
    assert read_prompt("no vocals from song B", a, b).vocal_source == "song_a"


def test_leave_alone_numbered_sections_and_half():
    assert gains(plan_for("leave the drums alone", "6"), "drums") == base("drums")
    plan = plan_for("mute drums in verse 2", "6")
    assert gains(plan, "drums", "verse") == [base("drums", "verse")[0], 0.0]
    plan = plan_for("the piano at half", "6")
    assert all(abs(g / p - 0.5) < 1e-6 for g, p in zip(gains(plan, "piano"), base("piano")))


@pytest.mark.parametrize("prompt", ["bring in the drums at the first chorus", "drums in from the chorus",
                                    "drop the drums till the chorus"])
def test_an_entry_point_mutes_the_stem_before_it(prompt):
    plan = plan_for(prompt, "6")
    first_chorus = next(i for i, s in enumerate(plan.sections) if s.label == "chorus")
    assert all(s.stem_gains["drums"] == 0.0 for s in plan.sections[:first_chorus])
    assert all(s.stem_gains["drums"] > 0.0 for s in plan.sections[first_chorus:])


# -- bar ranges are scopes, not lengths --

def _bars(plan, first, end):
    """Sections covering bars first..end-1 of the mashup."""
    start = plan.sections[0].start_beat
    return [s for s in plan.sections if s.start_beat < start + end * 4 and s.end_beat > start + first * 4]


@pytest.mark.parametrize("prompt, first, end", [("no drums for the first 8 bars", 0, 8),
                                                ("mute the drums for 16 bars", 0, 16),
                                                ("kill the drums in bars 9-16", 8, 16),
                                                ("bring the drums in from bar 9", 0, 8)])
def test_a_bar_range_is_a_scope_over_the_sections_covering_it(prompt, first, end):
    plan = plan_for(prompt, "6")
    assert plan.total_beats == baseline("6").total_beats  # not read as the plan's length
    covered = _bars(plan, first, end)
    assert covered and all(s.stem_gains["drums"] == 0.0 for s in covered)
    assert all(s.stem_gains["drums"] > 0.0 for s in plan.sections if not any(s is c for c in covered))
    assert "sections covering bar" in plan.explanation


def test_from_bar_n_mutes_from_there_and_a_length_still_reads_as_one():
    plan = plan_for("no bass from bar 41", "6")
    covered = _bars(plan, 40, 10_000)
    assert covered and all(s.stem_gains["bass"] == 0.0 for s in covered)
    assert plan.sections[0].stem_gains["bass"] > 0.0
    assert read_prompt("a 32 bar mashup, no drums for the first 8 bars").target_bars == 32


@pytest.mark.parametrize("prompt", ["ohne Schlagzeug für die ersten 8 Takte",
                                    "sin batería durante los primeros 8 compases"])
def test_a_bar_range_in_german_or_spanish(prompt):
    plan = plan_for(prompt, "6")
    assert plan.total_beats == baseline("6").total_beats
    assert [s.stem_gains["drums"] for s in plan.sections][:2] == [0.0, base("drums", "verse")[0]], prompt


def test_a_bar_range_past_the_end_is_reported_not_dropped_in_silence():
    plan = plan_for("mute the drums from bar 500", "6")
    assert gains(plan, "drums") == base("drums")
    assert any("could not be applied" in w and "bar 500" in w for w in plan.warnings), plan.warnings


# -- "only" after a scope, and an exception of one section --

@pytest.mark.parametrize("prompt", ["drums in the chorus only", "the drums in the choruses only please"])
def test_a_stem_only_in_a_section_is_silent_elsewhere(prompt):
    # ("drums only in the chorus" stays the old table's reading: only the drums play in the chorus)
    plan = plan_for(prompt, "6")
    assert all(g > 0 for g in gains(plan, "drums", "chorus")), prompt
    assert all(s.stem_gains["drums"] == 0.0 for s in plan.sections if s.label != "chorus"), prompt
    assert gains(plan, "bass", "chorus") == base("bass", "chorus")  # not "only drums" in the chorus


@pytest.mark.parametrize("prompt", ["no drums in the verses except the last one",
                                    "no drums in the verses but not the last verse"])
def test_except_the_last_one_leaves_out_one_section(prompt):
    plan = plan_for(prompt, "6")
    assert gains(plan, "drums", "verse") == [0.0, base("drums", "verse")[-1]], prompt
    assert gains(plan, "drums", "chorus") == base("drums", "chorus")


# -- "the rest" --

def test_the_rest_means_the_other_instruments_and_says_so():
    plan = plan_for("keep the bass, kill the rest", "6")
    for stem in ("drums", "guitar", "piano", "other"):
        assert set(gains(plan, stem)) == {0.0}, stem
    assert gains(plan, "bass") == base("bass")
    assert gains(plan, "vocals") == base("vocals")  # vocals stay unless named
    assert '"the rest" means the other instruments' in plan.explanation
    plan = plan_for("keep the bass, kill the rest and the vocals", "7")
    assert set(gains(plan, "lead_vocals")) == {0.0}


# -- explanations quote the user's own words --

@pytest.mark.parametrize("prompt", ["sin batería en el estribillo", "pls remvoe the gutiar",
                                    "give me everything but the vocals", "vocls from song b"])
def test_the_explanation_quotes_the_prompt_as_written(prompt):
    plan = plan_for(prompt, "6")
    assert f'"{prompt}"' in plan.explanation


def test_a_warning_quotes_the_prompt_as_written():
    plan = plan_for("keine drumz im intro", "6", "nointro")
    assert any("drumz" in w for w in plan.warnings), plan.warnings


# -- a boost never makes a section quieter --

@pytest.mark.parametrize("prompt, stem, label", [("bigger chorus with more drums", "drums", "chorus"),
                                                 ("drums hit harder in the verses", "drums", "verse"),
                                                 ("boost the bass", "bass", "verse"),
                                                 ("more guitar in the chorus", "guitar", "chorus")])
def test_a_boost_never_lowers_the_sections_level(prompt, stem, label):
    plan, before = plan_for(prompt, "6"), baseline("6")
    for s, b in zip(plan.sections, before.sections):
        assert sum(s.stem_gains.values()) >= sum(b.stem_gains.values()) - 1e-9, (prompt, s.label)
    assert all(g >= 0.95 for g in gains(plan, stem, label)), prompt  # the boosted stem is up front


def test_a_negated_bare_action_keeps_the_stems_before_it():
    plan = plan_for("louder drums but don't make the chorus quieter", "6")
    assert all(g >= b for g, b in zip(gains(plan, "drums", "chorus"), base("drums", "chorus")))
    assert all(g > b for g, b in zip(gains(plan, "drums", "verse"), base("drums", "verse")))


def test_the_rest_can_go():
    plan = plan_for("keep the drums, the rest can go", "6")
    assert set(gains(plan, "bass")) == {0.0} and gains(plan, "drums") == base("drums")
    assert gains(plan, "vocals") == base("vocals")

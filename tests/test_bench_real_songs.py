"""The real set's bookkeeping (bench/real_songs.py): the split, licences read from
Debian copyright files, and the committed reference covering the catalogue.
No network, no audio."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import real_songs
from real_songs import (
    CONSENSUS_F,
    catalogue,
    felt_tempo,
    fetch,
    licence_from_copyright,
    load_reference,
    split,
    split_of,
)

MACHINE_READABLE = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Some Game

Files: *
Copyright: 2005 The Project
           2006 music/menu.ogg contributors
License: GPL-2+

Files: debian/*
Copyright: 2010 A Packager
License: GPL-2+

Files: data/music/menu.ogg
Copyright: 2008 A Composer
License: CC-BY-SA-3.0

License: GPL-2+
 This program is free software.
"""

PER_DIRECTORY = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

Files: *
Copyright: 2006-2022 The Team
License: GPL-3+

Files: data/tracks/cave/*
Copyright:
 2009 A Modeller
License: CC-BY-SA-3.0

Files:
 data/tracks/cave/rabbit_hole.music
 data/tracks/cave/rabbit_hole.ogg
Copyright: A Composer
License: GPL-2+ OR CC-BY-SA

Files: data/music/alien.ogg
Copyright: 2021 Another Composer
License: CC-BY-SA-4.0
"""

FREE_FORM = """This package was debianized by someone.

This program is free software; you can redistribute it and/or
modify it under the terms of the GNU General Public License
as published by the Free Software Foundation; either version 2
of the License, or (at your option) any later version.
"""


FRESH = {"hedgewars-data", "xmoto-data", "btanks-data", "powermanga-data", "caveexpress-data"}


def test_split_is_the_sha1_rule_and_partitions_the_catalogue():
    songs = catalogue()
    names = [s.name for s in songs]
    assert len(names) == len(set(names)) == 149
    # sha1("asc-frontiers") starts with 3, sha1("nexuiz-calling-bogus") with e
    assert split_of("asc-frontiers") == "test" and split_of("nexuiz-calling-bogus") == "dev"
    dev, test, fresh = split(songs, "dev"), split(songs, "test"), split(songs, "fresh")
    assert (len(dev), len(test), len(fresh)) == (60, 47, 42)
    assert {s.name for s in dev} | {s.name for s in test} | {s.name for s in fresh} == set(names)


def test_the_fresh_split_is_whole_packages_disjoint_from_dev_and_test():
    songs = catalogue()
    fresh = split(songs, "fresh")
    assert {s.package for s in fresh} == FRESH
    assert all(split_of(s.name) == "fresh" for s in songs if s.package in FRESH)
    assert not {s.package for s in songs if split_of(s.name) != "fresh"} & FRESH
    # hedgewars-brick's sha1 says test, hedgewars-castle's dev: the group's split wins
    assert split_of("hedgewars-brick") == split_of("hedgewars-castle") == "fresh"
    assert hashlib.sha1(b"hedgewars-brick").hexdigest()[0] < "8" <= hashlib.sha1(b"hedgewars-castle").hexdigest()[0]


def test_the_older_songs_keep_their_sha1_split():
    old = [s for s in catalogue() if s.package not in FRESH]
    assert len(old) == 107
    for s in old:
        assert split_of(s.name) == ("test" if hashlib.sha1(s.name.encode()).hexdigest()[0] < "8" else "dev")
    # the committed reference says the same split for each of them
    ref = load_reference()
    assert all(ref[s.name]["split"] == split_of(s.name) for s in old)


def test_catalogue_names_packages_and_paths():
    songs = {s.name: s for s in catalogue()}
    assert {s.package for s in songs.values()} == {
        "nexuiz-music", "warzone2100-music", "asc-music",
        "supertuxkart-data", "freedroidrpg-data", "megaglest-data", "extremetuxracer-data"} | FRESH
    thunder = songs["nexuiz-thunder"]
    assert thunder.pk3.endswith("music.pk3") and thunder.source.endswith(":sound/cdtracks/thunder.ogg")
    assert songs["warzone2100-legacy-track4"].member.endswith("legacy_soundtrack/track4.opus")
    assert songs["asc-frontiers"].pk3 == "" and songs["asc-frontiers"].member.endswith("frontiers.mp3")
    # the name lowercases the file name; the member keeps the package's spelling and folders
    cave = songs["supertuxkart-beneath_the_rabbit_hole"]
    assert cave.member == "usr/share/games/supertuxkart/data/tracks/cave/beneath_the_rabbit_hole.ogg"
    assert songs["freedroidrpg-hellfortresstwo"].member.endswith("sound/music/HellFortressTwo.ogg")
    assert songs["megaglest-romans"].member.endswith("factions/romans/music/romans.ogg")
    # a sped-up copy of a track must not sit in the other split than the track
    assert not any(n.endswith(("_f", "_fast")) for n in songs)
    assert not thunder.short_from_start and songs["extremetuxracer-race1-jt"].short_from_start


def test_machine_readable_copyright_last_matching_stanza_wins():
    installed = "usr/share/games/game/data/music/menu.ogg"
    assert licence_from_copyright(MACHINE_READABLE, installed) == "CC-BY-SA-3.0"
    # a continuation line of Copyright is not a Files pattern
    assert licence_from_copyright(MACHINE_READABLE, "usr/share/x/music/menu.ogg") == "GPL-2+"
    assert licence_from_copyright(MACHINE_READABLE, "usr/share/games/game/other.ogg") == "GPL-2+"
    no_default = MACHINE_READABLE.replace("Files: *", "Files: src/*")
    assert licence_from_copyright(no_default, "usr/share/games/game/other.ogg") == "unknown"


def test_per_directory_and_per_file_stanzas_as_supertuxkart_writes_them():
    base = "usr/share/games/stk/data/"
    assert licence_from_copyright(PER_DIRECTORY, base + "tracks/cave/rabbit_hole.ogg") == "GPL-2+ OR CC-BY-SA"
    assert licence_from_copyright(PER_DIRECTORY, base + "tracks/cave/ground.png") == "CC-BY-SA-3.0"
    assert licence_from_copyright(PER_DIRECTORY, base + "music/alien.ogg") == "CC-BY-SA-4.0"
    # a track no stanza names takes the package-wide licence
    assert licence_from_copyright(PER_DIRECTORY, base + "music/party.ogg") == "GPL-3+"


def test_free_form_copyright_states_the_gnu_licence():
    assert licence_from_copyright(FREE_FORM, "anything.ogg") == "GPL-2+"
    only_v3 = FREE_FORM.replace("version 2", "version 3").replace("any later version", "no other")
    assert licence_from_copyright(only_v3, "a.ogg") == "GPL-3"
    lesser = FREE_FORM.replace("GNU General", "GNU Lesser General").replace("version 2", "version 2.1")
    assert licence_from_copyright(lesser, "a.ogg") == "LGPL-2+"
    assert licence_from_copyright("All rights reserved.", "a.ogg") == "unknown"


def test_every_catalogue_entry_has_a_consistent_reference():
    ref = load_reference()
    assert set(ref) == {s.name for s in catalogue()}
    for s in catalogue():
        r = ref[s.name]
        assert r["split"] == split_of(s.name) and r["package"] == s.package
        assert r["source"] == s.source and r["licence"] not in ("", "unknown")
        assert r["start_s"] in ((0, 30) if s.short_from_start else (30,))
        beats = r["madmom_beats"]
        assert beats == sorted(beats) and 0 <= beats[0] and beats[-1] <= 60.0
        downbeats = r["madmom_downbeats"]
        assert downbeats == sorted(downbeats) and r["madmom_beats_per_bar"] in (3, 4)
        assert r["essentia_beats"] == sorted(r["essentia_beats"])
        assert r["consensus"] == (r["mm_ess_beat_f"] >= CONSENSUS_F)
        assert r["madmom_tempo"] == pytest.approx(felt_tempo(beats), abs=0.01)
    assert any(r["consensus"] for r in ref.values()) and not all(r["consensus"] for r in ref.values())
    # licences as each package's copyright file gives them, per track where it names one
    assert ref["supertuxkart-alien_signal"]["licence"] == "CC-BY-SA-4.0"
    assert ref["supertuxkart-beneath_the_rabbit_hole"]["licence"] == "GPL-2+ OR CC-BY-SA"
    assert ref["supertuxkart-battle_theme_1"]["licence"] == "CC-BY-4.0"
    assert ref["supertuxkart-penguin_party"]["licence"] == "GPL-3+"
    assert ref["megaglest-romans"]["licence"] == "CC-BY-SA-3.0"
    assert ref["freedroidrpg-town"]["licence"] == ref["extremetuxracer-race1-jt"]["licence"] == "GPL-2+"
    assert ref["extremetuxracer-race1-jt"]["start_s"] == 0 and ref["supertuxkart-xeon6"]["start_s"] == 30
    assert ref["hedgewars-rock"]["licence"] == "GPL-2" and ref["xmoto-batcave"]["licence"] == "GPL-2+"
    assert ref["caveexpress-music-1"]["licence"] == "CC-BY-SA-4.0"
    assert ref["powermanga-music_game"]["licence"] == "GPL-3+"
    assert ref["btanks-gameboy"]["licence"] == "Battle-Tanks-License"
    assert ref["hedgewars-sdmusic"]["start_s"] == 0 and ref["hedgewars-rock"]["start_s"] == 30


def test_felt_tempo_is_the_median_interval():
    beats = [0.0, 0.5, 1.0, 1.5, 2.6, 3.1]  # one dropped beat does not move it
    assert felt_tempo(beats) == pytest.approx(120.0)


def test_fetch_reuses_excerpts_and_says_what_tool_is_missing(tmp_path, monkeypatch):
    song = next(s for s in catalogue() if s.name == "asc-frontiers")
    (tmp_path / "ex").mkdir()
    (tmp_path / "ex" / "asc-frontiers.wav").write_bytes(b"")

    def no_run(*a, **k):
        raise AssertionError("nothing to run for an excerpt that exists")

    monkeypatch.setattr(real_songs.subprocess, "run", no_run)
    assert fetch(tmp_path, [song])[0].wav == tmp_path / "ex" / "asc-frontiers.wav"
    monkeypatch.setattr(real_songs.shutil, "which", lambda tool: None)
    other = next(s for s in catalogue() if s.name == "asc-machine_wars")
    with pytest.raises(SystemExit, match="apt-get"):
        fetch(tmp_path, [other])


@pytest.mark.parametrize(("name", "seconds", "start"), [
    ("extremetuxracer-race1-jt", "53.741134", "0"),      # later package, short: from the start
    ("supertuxkart-xeon6", "95.0", "30"),                # later package, long enough: 30 s in
    ("nexuiz-thunder", "48.366803", "30"),               # first packages: 30 s in whatever the length
])
def test_fetch_starts_a_short_track_of_the_later_packages_at_zero(tmp_path, monkeypatch, name, seconds, start):
    song = next(s for s in catalogue() if s.name == name)
    calls = []

    def run(cmd, **kw):
        calls.append(cmd)
        if cmd[0] == "ffmpeg":
            Path(cmd[-1]).write_bytes(b"wav")
        return real_songs.subprocess.CompletedProcess(cmd, 0, stdout=seconds + "\n", stderr="")

    monkeypatch.setattr(real_songs, "source_file", lambda s, cache: tmp_path / "track.ogg")
    monkeypatch.setattr(real_songs.shutil, "which", lambda tool: "/usr/bin/" + tool)
    monkeypatch.setattr(real_songs.subprocess, "run", run)
    wav = fetch(tmp_path, [song])[0].wav
    ffmpeg = calls[-1]
    assert ffmpeg[0] == "ffmpeg" and ffmpeg[ffmpeg.index("-ss") + 1] == start
    assert ffmpeg[ffmpeg.index("-t") + 1] == "60" and wav == tmp_path / "ex" / f"{name}.wav"
    assert wav.read_bytes() == b"wav"
    assert any(c[0] == "ffprobe" for c in calls) == song.short_from_start


def test_load_real_gives_each_song_its_own_licence(tmp_path):
    import numpy as np
    import soundfile as sf

    (tmp_path / "ex").mkdir()
    for s in split(catalogue(), "dev"):
        sf.write(tmp_path / "ex" / f"{s.name}.wav", np.zeros((441, 2), np.float32), 44100)
    songs, about = real_songs.load_real("dev", None, tmp_path)
    ref = load_reference()
    assert len(songs) == 60 and about["licences"] == {s.name: ref[s.name]["licence"] for s in songs}
    stk = {about["licences"][s.name] for s in songs if s.package == "supertuxkart-data"}
    assert len(stk) > 1 and about["packages"]["supertuxkart-data"] == "1.4+dfsg-2"
    assert songs[0].truth["beats"] == ref[songs[0].name]["madmom_beats"]


def test_a_refused_song_scores_zero_and_is_listed():
    import numpy as np
    from analysis import evaluate, summarise_real

    class Silent:  # what the analysis refuses (AnalysisError), as an ambient track may be
        def __init__(self):
            beats = [0.5 * k for k in range(40)]
            self.truth = {"title": "quiet", "beats": beats, "downbeats": beats[::4],
                          "essentia_beats": beats, "consensus": True, "tempo_ref": 120.0,
                          "trim_s": 5.0, "duration": 20.0}

        def load_mix(self):
            return np.zeros((2, 44100 * 20), np.float32)

    row = evaluate(Silent(), "mix")
    assert "error" in row and row["beat_f"] == row["beat_f_essentia"] == row["downbeat_f"] == 0.0
    assert not row["tempo_strict"] and not row["tempo_octave"]
    out = summarise_real([row, {**row, "title": "other", "consensus": False}])
    assert out["errors"] == ["quiet", "other"] and out["consensus"]["songs"] == 1


def test_beat_f_trims_the_first_five_seconds_on_both_sides():
    from analysis import beat_f

    ref = [0.5 * k for k in range(40)]
    late_start = [t for t in ref if t >= 5.0]  # a tracker that locks on after 5 s loses nothing
    assert beat_f(ref, late_start, 5.0) == 1.0 and beat_f(ref, late_start) < 1.0
    assert beat_f(ref, [], 5.0) == 0.0

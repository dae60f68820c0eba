"""The real set's catalogue: which tracks of which Debian packages (bench/real_songs.py).

A Group is the tracks of one package under one path pattern. The first seven
packages' tracks are split dev/test by the sha1 of their name; the groups
marked `split="fresh"` are a held-out set added later from packages not used
before, which nothing is tuned against: scored once, at the end of a session.

Fresh tracks, chosen by a rule fixed before any reference or analysis was
made: every music file of hedgewars-data (Data/Music), xmoto-data
(Textures/Musics), btanks-data (data/tunes), powermanga-data
(sound/handheld_console) and caveexpress-data (sounds/music-*), packages whose
music is produced music with drums (electronic, rock, pop, game funk), except
files shorter than 45 s (stingers and jingles: btanks' boss-1, boss-2 and glory,
caveexpress' music-win) and a track's alternate version (hedgewars'
olympics_sd, the sudden-death cut of Olympics). No track was dropped for how
it sounds or for what a tracker made of it. Looked at and not used:
openarena-data (no music in the package), scorched3d-data (three loops of one
mix), pingus-data (tracker modules, mostly short loops), hyperrogue-music and
singularity-music (mostly ambient), lincity-ng-data (three tracks, ambient/jazz).
"""

from __future__ import annotations

from typing import NamedTuple

NEXUIZ_PK3 = "usr/share/games/nexuiz/data/music.pk3"
WARZONE = "usr/share/games/warzone2100/music/albums"
STK = "usr/share/games/supertuxkart/data"
MEGAGLEST = "usr/share/games/megaglest/techs/megapack/factions"


class Group(NamedTuple):
    """Tracks of one package that share a path pattern. A track may carry folders
    (`music/Lava`); its name is the prefix and its lowercased file name."""

    package: str
    path: str              # of each track, `{}` the track; inside `pk3` where there is one
    prefix: str
    tracks: str
    pk3: str = ""
    short_from_start: bool = False   # a track shorter than SHORT_TRACK_S is cut from 0 s
    split: str = ""                  # "fresh": every track held out; "": dev/test by sha1(name)


# farm_f and the *_fast files of supertuxkart are left out: the same music sped
# up, which must not land in the other split than its original.
GROUPS = (
    Group("nexuiz-music", "sound/cdtracks/{}.ogg", "nexuiz",
          "beast-of-insanity brainsukker breakdown-easy brokenlight calling-bogus chaos-fog desert3 "
          "digital-pursuit infight neuronal-diving ninesix northern-lights sixtyfour_ "
          "sixtyfour_revisited stairs subcities thru-the-mirror thunder", pk3=NEXUIZ_PK3),
    Group("warzone2100-music", WARZONE + "/aftermath_soundtrack/{}.opus", "warzone2100-aftermath",
          "menu_enhanced track17 track18 track19 track20 track21 track22 track23 track24 track25 "
          "track26 track27 track3_enhanced"),
    Group("warzone2100-music", WARZONE + "/legacy_soundtrack/{}.opus", "warzone2100-legacy",
          "track10 track11 track12 track13 track14 track15 track16 track4 track5 track6 track7 "
          "track8 track9"),
    Group("warzone2100-music", WARZONE + "/original_soundtrack/{}.opus", "warzone2100-original",
          "track1 track2 track3"),
    Group("asc-music", "usr/share/games/asc/music/{}.mp3", "asc", "frontiers machine_wars time_to_strike"),
    Group("supertuxkart-data", STK + "/{}.ogg", "supertuxkart",
          "music/Lava music/Penguin_Party music/SkyVibe-HighFrequency music/West music/alien_signal "
          "music/bay music/cocoa_river music/demonhill music/egypt music/farm music/garden "
          "music/hacienda music/jumping_to_the_stars_remake music/kart_grand_prix "
          "music/klabauter_dance music/menutheme music/overworld music/ravenbridge_mansion "
          "music/snowmountain music/subsea music/theGreatFair music/valley music/win_theme "
          "music/xeon6 tracks/ancient_colosseum_labyrinth/Battle_Theme_1 "
          "tracks/battleisland/Gran_Paradiso_Unused_-_TuxKart_5a_Gowns_Bow_Remix "
          "tracks/cave/beneath_the_rabbit_hole tracks/introcutscene2/intro2", short_from_start=True),
    Group("freedroidrpg-data", "usr/share/freedroidrpg/data/sound/music/{}.ogg", "freedroidrpg",
          "Ambience AmbientBattle Bleostrada HellFortressEntrance HellFortressTwo Hyperbattle "
          "ImperialArmy NewTutorialStage Suspicion TechBattle TheBeginning hellforce menu temple town "
          "underground", short_from_start=True),
    Group("megaglest-data", MEGAGLEST + "/{}.ogg", "megaglest",
          "egypt/music/asak-jadeflange indian/music/music_indian magic/music/music_magic "
          "norsemen/music/manolo_camp-medieval persian/music/aminos-together_together "
          "romans/music/romans tech/music/music_tech", short_from_start=True),
    Group("extremetuxracer-data", "usr/share/games/etr/music/{}.ogg", "extremetuxracer",
          "calmrace-ks credits1-cp freezingpoint race1-jt spunkyrace-ks start1-jt", short_from_start=True),
    # the fresh, held-out packages (see the module docstring for the rule)
    Group("hedgewars-data", "usr/share/games/hedgewars/Data/Music/{}.ogg", "hedgewars",
          "Art Beach Brick Castle City Compost Desert EarthRise Freeway Fruit Golf Halloween Jungle "
          "Nature Olympics Rock Sheep bath hell main_theme oriental pirate sdmusic snow underwater",
          short_from_start=True, split="fresh"),
    Group("xmoto-data", "usr/share/games/xmoto/Textures/Musics/{}.ogg", "xmoto",
          "MadeiraStew batcave foxrun legolodio menu ridealong speeditup", short_from_start=True,
          split="fresh"),
    Group("btanks-data", "usr/share/games/btanks/data/tunes/{}.ogg", "btanks",
          "batterie gameboy karbofos nostalgy utrennik", short_from_start=True, split="fresh"),
    Group("powermanga-data", "usr/share/games/powermanga/sound/handheld_console/{}.ogg", "powermanga",
          "music_congratulations music_game music_menu", short_from_start=True, split="fresh"),
    Group("caveexpress-data", "usr/share/games/caveexpress/sounds/{}.ogg", "caveexpress",
          "music-1 music-2", short_from_start=True, split="fresh"),
)

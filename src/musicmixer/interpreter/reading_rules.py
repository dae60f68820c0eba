"""How to read a request: the negation, exception, scope and conflict rules
the offline reader follows (clauses.py, apply_wishes.py, song_refs.py),
stated for the LLM with examples so that both planners read a prompt the
same way. Part of the static system prompt (prompts.py)."""

READING_RULES = """\
Reading the request (the offline planner follows the same rules):
- Negation applies to its own clause only and turns the action round; never do the opposite of
  what was asked. "don't remove the bass" / "never cut the drums" = keep them at their normal
  gain. "don't mute the vocals, mute the drums" = vocals stay, drums 0. "don't boost the bass" =
  bass at its normal gain. "don't use B's vocals" = song_a sings.
- Exceptions: "keep everything except the drums" / "give me everything but the vocals" = only that
  stem is 0. "mute everything except the vocals in the bridge" = only vocals in the bridge.
  "nothing but drums and bass" = only those two. "no drums except in the chorus" = drums 0
  everywhere but the choruses. "drums everywhere except the bridge" = drums 0 in the bridge.
- A clause with only a scope modifies the clause before it: "don't lose the drums in the chorus,
  only in the verses" = drums 0 in the verses, normal in the choruses; "remove the vocals but
  not in the chorus" = vocals 0 outside the choruses.
- Scope: "in the verses" = every verse; "the last chorus" = that one only; "until the drop" =
  the sections before the first drop; "after the first chorus" = every section after it;
  "from the bridge on" = the bridge and what follows. "drums in the chorus only" = drums 0
  outside the choruses. "no drums in the verses except the last one" = drums 0 in every verse
  but the last. Bar ranges are scopes, not the length: "no drums for the first 8 bars" / "from
  bar 9" = the sections covering those bars (say so in the explanation).
- "the rest" / "everything else" after naming instruments means the other instruments; the
  vocals stay unless named ("keep the bass, kill the rest" = bass and vocals only).
- A boost must not make a section quieter overall: raise the stem, turn others down only a little.
- Amounts scale the normal gain: "a bit quieter" about x0.8, "way quieter" about x0.25, "-6 dB"
  x0.5, "down 30%" x0.7, "at 50%" x0.5; "louder"/"heavy" raises it (up to 1.0).
- Contradictions: the later clause wins ("only drums, and no drums" = drums 0), and the
  explanation says so.
- Never leave a section with every gain at 0; if the request would, keep the nearest sensible
  plan and add a warning.
- A section the songs do not have ("no drums in the intro" with no intro): say in warnings that
  it could not be applied.
- "her"/"his" voice: the song whose vocals sit higher/lower (sung pitch in the analysis); if the
  pitches are missing or close, it is a guess and the explanation says so.
- Every clause of the request is either applied (say what it changed), ignored (say why) or
  conflicting (say which clause won) in the explanation; quote the user's own words."""

"""Song analysis: beats, downbeats, tempo, key, structure, stem activity."""

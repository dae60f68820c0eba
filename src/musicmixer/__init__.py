"""musicmixer: an open-source AI mashup studio.

Two songs and a sentence in; an on-beat, in-key, streaming-loud mashup out.
"""

__version__ = "0.1.0"

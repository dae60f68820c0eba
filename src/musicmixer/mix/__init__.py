"""The mix stages (steps 5-16), one module each; `musicmixer.pipeline` calls them in order.

Step numbers: see docs/architecture.md ("Step numbers").
"""

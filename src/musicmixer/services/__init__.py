"""Spec-compatible import paths (`musicmixer.services.*`) for the modules the
spec names; the code lives in the package modules named in DESIGN.md."""

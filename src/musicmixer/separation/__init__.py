"""Stem separation: the local HTDemucs ONNX backend, its model store, and the dispatcher."""

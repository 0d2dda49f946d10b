"""Batching, shuffling and validation of in-memory training data."""

from numdeep.data.adapter import ArrayData, batch_slices

__all__ = ["ArrayData", "batch_slices"]

"""Errors of the inference layer, each saying which file and what to do."""


class ModelError(Exception):
    """A model file is missing, damaged or cannot be loaded."""

"""Corral: organize folders by what you mean, with local models.

The code lives in three layers, installed under this package:
``corral.models`` (inference), ``corral.engine`` (pipeline, store, CLI) and
``corral.desktop`` (the Qt GUI). Dependencies point one way: desktop -> engine -> models.
"""

__version__ = "0.1.0"

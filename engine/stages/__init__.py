"""The pipeline's stages: describe -> propose -> merge -> assign.

Each stage is a module with one function taking a :class:`~.base.StageContext` (project,
lazily loaded model, criterion, progress callback, cancel token). None of them knows Qt.
"""

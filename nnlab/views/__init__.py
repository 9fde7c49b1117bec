"""Explorers: thin ipywidgets + matplotlib views over nnlab's models."""
from .activation import ActivationExplorer
from .base import Explorer

__all__ = ["Explorer", "ActivationExplorer"]

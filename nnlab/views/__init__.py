"""Explorers: thin ipywidgets + matplotlib views over nnlab's models."""
from .activation import ActivationExplorer
from .base import Explorer
from .perceptron import PerceptronStepper

# Every explorer, with example settings that differ from its defaults; the generic
# view tests and the benchmark iterate over this list, so a new explorer is covered
# by adding it here.
EXPLORERS = {
    ActivationExplorer: {"activation": "tanh", "w": 4.0, "b": 2.0},
    PerceptronStepper: {"dataset": "xor", "n": 24, "seed": 3, "max_epochs": 5, "position": 17},
}

__all__ = ["Explorer", "ActivationExplorer", "PerceptronStepper", "EXPLORERS"]

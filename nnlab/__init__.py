"""nnlab: tested, interactive courseware for neural networks.

``import nnlab`` is light (NumPy only); matplotlib and ipywidgets load with the first
explorer, PyTorch only where a function needs it.
"""
from importlib import import_module

__version__ = "0.1.0"

_LAZY = {
    "nn": "nnlab.nn",
    "data": "nnlab.data",
    "neuron": "nnlab.neuron",
    "views": "nnlab.views",
    "env": "nnlab.env",
    "Explorer": "nnlab.views.base",
    "ActivationExplorer": "nnlab.views.activation",
    "PerceptronStepper": "nnlab.views.perceptron",
    "TowerExplorer": "nnlab.views.towers",
    "TowerDesigner": "nnlab.views.towers",
    "HiddenUnitsExplorer": "nnlab.views.hidden",
    "GradientFlowExplorer": "nnlab.views.gradflow",
    "OptimizerRace": "nnlab.views.race",
    "approx": "nnlab.approx",
    "optim": "nnlab.optim",
    "surfaces": "nnlab.surfaces",
    "gradflow": "nnlab.gradflow",
    "perceptron": "nnlab.perceptron",
    "linear": "nnlab.linear",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        module = import_module(_LAZY[name])
        value = module if _LAZY[name].endswith("." + name) else getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'nnlab' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))

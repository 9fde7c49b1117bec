"""Explorers: thin ipywidgets + matplotlib views over nnlab's models."""
from .activation import ActivationExplorer
from .autodiff import AutodiffTrace
from .base import Explorer
from .convolution import Convolution
from .digitpad import DigitPad
from .doubledescent import DoubleDescent
from .figure import show
from .gradcheck import GradientCheckExplorer
from .gradflow import GradientFlowExplorer
from .hidden import HiddenUnitsExplorer
from .perceptron import PerceptronStepper
from .playground import TrainingPlayground
from .polyfit import PolynomialFit
from .race import OptimizerRace
from .regpath import RegularizationPath
from .rotation import RotationProjection
from .towers import TowerDesigner, TowerExplorer
from .unroller import RNNUnroller

# Every explorer, with example settings that differ from its defaults; the generic
# view tests and the benchmark iterate over this list, so a new explorer is covered
# by adding it here.
EXPLORERS = {
    ActivationExplorer: {"activation": "tanh", "w": 4.0, "b": 2.0},
    PerceptronStepper: {"dataset": "xor", "n": 24, "seed": 3, "max_epochs": 5, "position": 17},
    TowerExplorer: {"target": "sin", "n": 20, "units": "relu", "show_towers": False},
    TowerDesigner: {"target": "abs", "n": 10, "h0": 0.75, "h1": 0.25, "h2": 0.25, "h3": 0.75},
    HiddenUnitsExplorer: {"wh1": 2.0, "bh2": -1.0, "wo3": -3.0, "bo": 0.5},
    GradientFlowExplorer: {"depth": 12, "activation": "relu", "init": "he", "residual": True},
    AutodiffTrace: {"expression": "network", "in1": 1.5, "mode": "forward", "wrt": "w2", "position": 12},
    GradientCheckExplorer: {"function": "exp", "h": 1e-7, "kind": "forward", "dtype": "float32"},
    OptimizerRace: {"surface": "rosenbrock", "lr": 0.001, "lr_adaptive": 0.05, "steps": 300, "show_RMSProp": True},
    DigitPad: {"drawing": "0" * 64 + "000ff000" * 16 + "0" * 64, "right": 1, "noise": 0.1},
    TrainingPlayground: {"dataset": "spirals", "classes": 3, "layers": 6, "optimizer": "momentum",
                         "regularization": "l2", "n": 200, "seed": 4},
    PolynomialFit: {"degree": 12, "n": 12, "noise": 0.3, "penalty": "l2", "lam": 1e-4, "design": "random",
                    "add_x": -0.5, "seed": 2, "points": [[0.5, 1.5]]},
    DoubleDescent: {"p": 60, "n": 30, "noise": 0.1, "penalty": "l2", "lam": 0.01, "seed": 3},
    RegularizationPath: {"lam": 0.1, "degree": 15, "n": 30, "noise": 0.4, "seed": 5},
    RNNUnroller: {"T": 45, "hidden": 8, "rho": 1.5, "activation": "relu", "pattern": "sine", "kind": "orthogonal",
                  "seed": 2},
    RotationProjection: {"angle": 120.0, "axis": "z", "noise": 0.6, "mirror": True, "fix": False, "seed": 3},
    Convolution: {"input": "checker", "kernel": "blur", "stride": 2, "padding": 1, "dilation": 2,
                  "mode": "convolution", "position": 5},
}

__all__ = ["Explorer", "show", "ActivationExplorer", "PerceptronStepper", "TowerExplorer", "TowerDesigner",
           "HiddenUnitsExplorer", "GradientFlowExplorer", "OptimizerRace", "AutodiffTrace", "GradientCheckExplorer",
           "TrainingPlayground", "DigitPad", "PolynomialFit", "DoubleDescent",
           "RegularizationPath", "Convolution", "RNNUnroller", "RotationProjection", "EXPLORERS"]

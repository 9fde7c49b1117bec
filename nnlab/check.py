"""Checks for exercises: call one with your function and read the diagnosis.

    from nnlab import check
    check.sigmoid(my_sigmoid)            # shows a short report in the notebook
    check.backprop(my_backprop, strict=True)   # raises AssertionError with the diagnosis (for graders)
    check.backprop(my_backprop, points=3)      # worth 3 points (``nnlab grade`` reads them from the source)

Every check calls your function on seeded float64 inputs (kept away from ReLU kinks), compares
with an independent oracle (a closed form, PyTorch autograd, central differences), and names
the mistake when it recognises one: a sign error, a missing or extra 1/N, transposed shapes,
overflow in exp, inputs changed in place, integer arrays, a function that ignores its inputs.
A check never crashes on your code: exceptions, wrong types, NaNs and endless loops (a time
limit per call, ``time_limit=`` seconds, 10 by default) become messages; warnings are captured,
never printed.

The checks live in ``nnlab.checks`` (one module per topic); this module gathers them for students.
"""
from .checks.activations import sigmoid
from .checks.autodiff import adjoints, gradient_check, reverse_sweep
from .checks.convolution import conv2d, output_size
from .checks.digits import cnn_parameters, confusion, early_stopping
from .checks.gradients import gradient_norms
from .checks.harness import (DEFAULT_TIME_LIMIT, FORBIDDEN, KINDS, MEMORY, NOT_IMPLEMENTED, NOT_RUN, RAISED,
                             TIMEOUT, UNUSABLE, WRONG, Case, Outcome, Problem, StudentError)
from .checks.loops import evaluate, make_loader, train_epoch
from .checks.networks import backprop, forward
from .checks.optimizers import adam, momentum, rmsprop, sgd_epoch
from .checks.perceptron import perceptron_update
from .checks.registry import CHECKS, CheckResult, Spec
from .checks.regularisation import penalised_gradient, ridge, standardise_folds
from .checks.rotations import project_to_so3
from .checks.towers import tower

__all__ = ["sigmoid", "forward", "backprop", "perceptron_update", "tower", "gradient_norms", "adjoints",
           "reverse_sweep", "gradient_check", "make_loader", "train_epoch", "evaluate", "momentum",
           "rmsprop", "adam", "sgd_epoch", "cnn_parameters", "confusion", "early_stopping", "ridge",
           "standardise_folds", "penalised_gradient", "output_size", "conv2d", "project_to_so3",
           "CheckResult", "CHECKS", "Spec", "Case", "Outcome", "Problem",
           "StudentError", "KINDS", "WRONG", "UNUSABLE", "RAISED", "NOT_IMPLEMENTED", "TIMEOUT", "MEMORY",
           "FORBIDDEN", "NOT_RUN", "DEFAULT_TIME_LIMIT"]

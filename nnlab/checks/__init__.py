"""Exercise checks, in layers (each imports only those above it):

- ``harness``: calling a student's function under limits and recording plain outcomes; problem kinds;
- ``wire``: the plain-data format between the grading sandbox and the grader;
- ``registry``: ``Spec``, the registry ``CHECKS``, ``run_check`` and scoring (``CheckResult``);
- one module per topic (``activations``, ``autodiff``, ``digits``, ``loops``, ``networks``, ``perceptron``,
  ``optimizers``, ``regularisation``, ``towers``, ``gradients``, ``convolution``, ``rotations``): cases, a judge
  against an independent oracle, and the public check function.

Students use ``from nnlab import check``, which gathers the public checks.
"""
from . import activations, autodiff, digits, gradients, loops, networks, optimizers, perceptron  # noqa: E402,F401
from . import convolution, regularisation, rotations, towers  # noqa: E402,F401

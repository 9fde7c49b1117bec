"""What a "write it yourself" question's graded run lacks, and how it is taken away.

A check with ``forbid=KIND`` (``nnlab.checks.harness.shortcuts``) rules out shortcuts. In a notebook the rule is
only watched (a profiler hook sees the calls). Under ``nnlab grade`` the submission's whole run lacks them, from
before its first cell:

- ``MODULES[KIND]``: packages that are not there. ``import torch`` still succeeds (so a cell that only imports it
  goes on), but gives a stand-in whose every use raises ``harness.Unavailable``; where the machine allows the
  sandbox's mount namespace, the package's files are hidden too, so no route (a reload, a path of its own, a
  thread) finds the real one.
- ``shortcuts(KIND)``'s nnlab functions: loaded by the trusted set-up, their code replaced by code that raises
  ``Unavailable`` (every reference to them, under any name, sees the change), their source and cached bytecode
  hidden (no reload, no ``exec`` of the file), and Python's cache of source lines emptied.

The grader passes ``hidden_paths(kinds)`` with the folders it hides; the sandbox calls ``take_away(kinds)`` before
its lock-down. Copying nnlab's source into the notebook is found by the grader itself (``copied``), from the
notebook's text, in the trusted process.
"""
from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import importlib.util
import linecache
import sys
import types
from pathlib import Path

from ..checks import harness
from ..memo import memo

AUTOGRAD = ("torch", "functorch", "jax", "autograd", "tensorflow")
MODULES = {
    "sigmoid": AUTOGRAD,
    "forward": AUTOGRAD,
    "backprop": AUTOGRAD,        # nnlab.autodiff stays importable (the views use it); its sweeps are taken away
    "gradient_norms": AUTOGRAD,
    "autodiff": AUTOGRAD + ("sympy", "nnlab.autodiff", "nnlab.gradcheck"),
    "gradient_check": AUTOGRAD + ("sympy", "numdifftools", "nnlab.autodiff", "nnlab.gradcheck"),
}


def absent_modules(kinds):
    return sorted({m for kind in kinds for m in MODULES.get(kind, ())})


def _functions(kinds):
    """The nnlab functions (plain Python functions) ruled out by ``kinds``: those ``shortcuts`` names, and every
    function and method defined in an absent nnlab module (other modules hold references to them)."""
    found = {}
    for kind in kinds:
        for name, f in harness.shortcuts(kind, torch=False).items():
            if isinstance(f, types.FunctionType) and f.__module__.startswith("nnlab."):
                found[name] = f
    for module_name in absent_modules(kinds):
        if module_name.startswith("nnlab."):
            module = importlib.import_module(module_name)
            for value in list(vars(module).values()):
                members = vars(value).values() if isinstance(value, type) else (value,)
                for member in members:
                    member = getattr(member, "__func__", getattr(member, "fget", member))
                    if isinstance(member, types.FunctionType) and member.__module__ == module_name:
                        found[f"{module_name}.{member.__qualname__}"] = member
    return {name: f for name, f in found.items() if Path(f.__code__.co_filename).is_file()}  # not generated code


def hidden_paths(kinds):
    """The files and folders a sandbox lacking ``kinds`` hides: the absent packages' folders, and the source and
    cached bytecode of every nnlab module whose functions are taken away (the packages are found without being
    imported; nnlab's modules are imported, here in the grader)."""
    paths = set()
    for name in absent_modules(kinds):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None or spec.origin is None and not spec.submodule_search_locations:
            continue
        if spec.submodule_search_locations and not name.startswith("nnlab."):
            paths.update(spec.submodule_search_locations)
        elif spec.origin:
            paths.update(_with_bytecode(spec.origin))
    for f in _functions(kinds).values():
        paths.update(_with_bytecode(f.__code__.co_filename))
    return sorted(p for p in paths if Path(p).exists())


def _with_bytecode(source):
    source = Path(source)
    cached = source.parent / "__pycache__"
    return [str(source)] + [str(p) for p in cached.glob(f"{source.stem}.*.pyc")]


def _unavailable(*args, **kwargs):
    # runs with the globals of the function it replaced: builtins only
    raise __import__("nnlab.checks.harness", fromlist=["Unavailable"]).Unavailable(
        f"{__import__('sys')._getframe().f_code.co_qualname} (not available while grading this exercise)")


class _Absent(types.ModuleType):
    """A stand-in for a package that is not there while grading: importable, and every use raises."""

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        package = self.__name__ if self.__name__.startswith("nnlab.") else self.__name__.split(".")[0]
        raise harness.Unavailable(f"{package} (not available while grading this exercise)")


class _AbsentFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, names):
        self.names = tuple(names)

    def find_spec(self, name, path=None, target=None):
        if any(name == m or name.startswith(m + ".") for m in self.names):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _Absent(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


def take_away(kinds):
    """In the sandbox, before any student code: the absent packages replaced by stand-ins (and kept out of
    every later import), the ruled-out nnlab functions made to raise, Python's cache of source lines emptied.
    Returns the names of what was taken away."""
    if not kinds:
        return []
    functions = _functions(kinds)  # imports the nnlab modules that hold them, before their files are hidden
    for name, f in functions.items():
        f.__code__ = _raiser(f).__code__.replace(co_name=f.__name__, co_qualname=name)
        f.__defaults__, f.__kwdefaults__ = None, None
    names = absent_modules(kinds)
    for loaded in [m for m in sys.modules if any(m == n or m.startswith(n + ".") for n in names)]:
        del sys.modules[loaded]
    sys.meta_path.insert(0, _AbsentFinder(names))
    for name in names:
        parent, _, child = name.rpartition(".")
        if parent in sys.modules:  # nnlab.autodiff: the attribute of the package too
            setattr(sys.modules[parent], child, importlib.import_module(name))
    linecache.clearcache()
    return names + sorted(functions)


def _raiser(f):
    """A function with ``f``'s free variables (so its code can take the place of ``f``'s) that raises."""
    if not f.__code__.co_freevars:
        return _unavailable
    namespace = {}
    free = f.__code__.co_freevars
    source = (f"def outer({', '.join(free)}):\n    def inner(*args, **kwargs):\n"
              f"        {', '.join(free)}\n        raise __import__('nnlab.checks.harness', fromlist=['_'])."
              "Unavailable(__import__('sys')._getframe().f_code.co_qualname + ' (not available while grading "
              "this exercise)')\n    return inner\n")
    exec(source, namespace)
    return namespace["outer"](*([None] * len(free)))


# ------------------------------------------------------------------ copies of nnlab's source, found by the grader
MIN_NODES = 40  # shorter functions (a one-line sigmoid) are written the same way by many students


def _shape(fn):
    """A function's body as a string that ignores names of its own locals, docstrings, comments and lines."""
    body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(getattr(s, "value", None),
                                                                                ast.Constant)
                                        and isinstance(s.value.value, str))]
    local = {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)}
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            local.add(node.id)
    order = {}

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node):
            if node.id in local:
                node = ast.Name(id=f"v{order.setdefault(node.id, len(order))}", ctx=node.ctx)
            return node

        def visit_arg(self, node):
            return ast.arg(arg=f"v{order.setdefault(node.arg, len(order))}")

    tree = Rename().visit(ast.Module(body=[ast.FunctionDef(name="f", args=fn.args, body=body, decorator_list=[],
                                                           returns=None, type_comment=None)], type_ignores=[]))
    return ast.dump(tree)


def _functions_in(tree):
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and sum(1 for _ in ast.walk(n)) >= MIN_NODES]


def _protected_shapes(kinds):
    """Shapes of the ruled-out functions (``_shapes_of``, parsed once per ``kinds`` through ``memo``)."""
    return memo(_shapes_of, kinds)


def _shapes_of(kinds):
    """Shapes of the ruled-out nnlab functions and of every function of the absent nnlab modules."""
    wanted = {(f.__code__.co_filename, f.__name__): name for name, f in _functions(kinds).items()}
    shapes = {}
    for file in {file for file, _ in wanted}:
        for fn in _functions_in(ast.parse(Path(file).read_text(encoding="utf-8"))):
            if (file, fn.name) in wanted:
                shapes[_shape(fn)] = wanted[(file, fn.name)]
    return shapes


def copied(cells, kinds):
    """The nnlab function whose source a notebook's cells copy (renamed locals, moved lines and dropped comments
    included), or None: ``cells`` are the code cells' sources."""
    if not kinds:
        return None
    shapes = _protected_shapes(tuple(kinds))
    for source in cells:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for fn in _functions_in(tree):
            if _shape(fn) in shapes:
                return shapes[_shape(fn)]
    return None

"""The direction of dependency, visible from the names and enforced here (static imports, read with ast):

- models (``nnlab/*.py`` but the ones below) import only models;
- views (``nnlab/views/``) import models and views; checks (``nnlab/checks/``, ``nnlab/check.py``) import
  models and checks;
- grading (``nnlab/grading/``) imports checks, models, grading and the course sources (``authoring``);
- nothing imports grading but grading itself and the command line (``nnlab/__main__.py``);
- no module over about 500 lines (``LARGER`` names the exceptions);
- matplotlib's private names are used only by the fast renderer (``nnlab/views/fastpath/``), and each one it
  uses is among those it checks before it is trusted (``fastpath.PRIVATE``, ``INSTANCE``, ``OPTIONAL``); the
  frame oracle (``views/testing.py``) un-animates artists by theirs.
"""
import ast
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nnlab"
TOOLS = {"__init__", "__main__", "authoring", "env", "hub"}  # the tools: command line, set-up check, sources, links


def layer(module):
    """The layer of a module given by its dotted name inside nnlab ("views.race", "nn", ...)."""
    top = module.split(".")[0]
    if top in ("views", "checks", "grading"):
        return top
    if top == "check":
        return "checks"
    return "tools" if top in TOOLS else "models"


SOURCES = ("authoring/lectures", "authoring/exercises", "templates")  # the course's sources and the export's
# template: data (programs of their own), not modules


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).as_posix().startswith(SOURCES):
            continue
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts) or "__init__"
        yield name, path


def imports(name, path):
    """The nnlab modules that ``name`` imports (dotted, inside nnlab), wherever the import statement is."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.split(".")[0] == "nnlab":
                target = node.module.partition(".")[2]
            else:
                continue
            for alias in node.names:  # "from . import nn" imports the module nnlab.nn
                sub = f"{target}.{alias.name}" if target else alias.name
                found.add(sub if (PACKAGE / Path(*sub.split("."))).with_suffix(".py").exists()
                          or (PACKAGE / Path(*sub.split("."))).is_dir() else target)
        elif isinstance(node, ast.Import):
            found |= {a.name.partition(".")[2] for a in node.names if a.name.startswith("nnlab.")}
    return {f for f in found if f}


ALLOWED = {
    "models": {"models"},
    "views": {"models", "views"},
    "checks": {"models", "checks"},
    "grading": {"models", "checks", "grading", "tools"},
    "tools": {"models", "views", "checks", "grading", "tools"},
}


@pytest.mark.parametrize("name, path", list(modules()), ids=[n for n, _ in modules()])
def test_imports_follow_the_direction_of_dependency(name, path):
    mine = layer(name)
    for target in imports(name, path):
        theirs = layer(target)
        assert theirs in ALLOWED[mine], f"nnlab.{name} ({mine}) imports nnlab.{target} ({theirs})"
        if theirs == "grading":
            assert mine == "grading" or name == "__main__", f"nnlab.{name} imports grading"
        if mine == "tools" and name != "__main__":
            assert theirs != "grading", f"nnlab.{name} imports grading"


def test_the_rule_is_checked_on_real_imports():
    """The parser sees what the modules import (so the rule above cannot pass vacuously)."""
    found = dict(modules())
    assert "nn" in imports("approx", found["approx"])
    assert {"checks.harness", "checks.registry", "checks.wire"} <= imports("grading.sandbox", found["grading.sandbox"])
    assert "checks.harness" in imports("grading.capabilities", found["grading.capabilities"])
    assert layer("check") == "checks" and layer("views.race") == "views" and layer("optim") == "models"


LARGER = {}  # modules allowed over 500 lines (none: nn.py gave its activations and losses to functions.py)


@pytest.mark.parametrize("name, path", list(modules()), ids=[n for n, _ in modules()])
def test_no_module_is_over_about_500_lines(name, path):
    assert len(path.read_text().splitlines()) <= LARGER.get(name, 500), f"nnlab/{path.relative_to(PACKAGE)}: split it"


VIEWS = sorted((PACKAGE / "views").glob("*.py"))


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: p.stem)
def test_views_use_only_public_model_functions_and_the_one_cache(path):
    """A view calls models through their public names, and remembers results only through
    ``nnlab.memo`` (no lru_cache, no dict of results of its own)."""
    tree = ast.parse(path.read_text())
    models = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
              and node.level == 2 and not node.module for alias in node.names}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in models:
            assert not node.attr.startswith("_"), f"{path.name}: {node.value.id}.{node.attr} is private to the model"
        if isinstance(node, ast.Name):
            assert node.id != "lru_cache", f"{path.name}: use memo, not lru_cache"
        if isinstance(node, ast.Attribute):
            assert "cache" not in node.attr.lower(), \
                f"{path.name}: self.{node.attr}: results are remembered by memo"


def functools_caches(tree):
    """Where a module remembers results with functools (``lru_cache``, ``cache``, ``cached_property``)."""
    names = {"lru_cache", "cache", "cached_property"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "functools":
            found += [f"line {node.lineno}: from functools import {a.name}" for a in node.names if a.name in names]
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "functools" \
                and node.attr in names:
            found.append(f"line {node.lineno}: functools.{node.attr}")
    return found


@pytest.mark.parametrize("name, path", list(modules()), ids=[n for n, _ in modules()])
def test_one_cache(name, path):
    """Results are remembered by ``nnlab.memo`` alone (bounded by count and bytes), never by functools' caches
    beside it."""
    if name != "memo":
        assert not functools_caches(ast.parse(path.read_text())), f"nnlab/{path.relative_to(PACKAGE)}: use memo"


def test_the_cache_rule_sees_functools_caches():
    snippet = "import functools\nfrom functools import cache, partial\n@functools.lru_cache(4)\ndef f(x): pass\n"
    assert functools_caches(ast.parse(snippet)) == ["line 2: from functools import cache",
                                                    "line 3: functools.lru_cache"]
    assert not functools_caches(ast.parse((PACKAGE / "checks" / "loops.py").read_text()))  # partial is no cache


def test_the_view_rule_sees_model_calls():
    """The parser above finds the model modules a view imports and the attributes it reads."""
    tree = ast.parse((PACKAGE / "views" / "towers.py").read_text())
    attrs = {(n.value.id, n.attr) for n in ast.walk(tree)
             if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
    assert ("approx", "compare") in attrs and ("approx", "check_interval") in attrs


def _assigns_self_settings(tree):
    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets
            if isinstance(t, ast.Attribute) and t.attr == "settings" and isinstance(t.value, ast.Name)
            and t.value.id == "self"]


def test_settings_is_one_thing():
    """``settings`` names an explorer's declarations only: a figure text listing them is ``settings_text``
    (``self.settings = fig.suptitle(...)`` hid the declarations behind a text artist)."""
    found = {name: _assigns_self_settings(ast.parse(path.read_text())) for name, path in modules()}
    assert not {k: v for k, v in found.items() if v}
    assert _assigns_self_settings(ast.parse("class V:\n    def setup(self, fig):\n        self.settings = 1\n"))


FASTPATH = PACKAGE / "views" / "fastpath"


@cache
def nnlab_names():
    return frozenset(_ours())
ORACLE = PACKAGE / "views" / "testing.py"


def _matplotlib_private():
    """Every private name matplotlib defines: its functions and methods, the attributes it sets, and those of its
    compiled font module."""
    import matplotlib
    from matplotlib import ft2font

    names = set()
    for path in Path(matplotlib.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_bytes())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    names |= {n for cls in vars(ft2font).values() if isinstance(cls, type) for n in dir(cls)}
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


MATPLOTLIB_PRIVATE = []
STDLIB = {"_getframe", "_exit", "_replace", "_asdict", "_fields", "_make"}  # Python's documented names with "_"


def _matplotlib_classes(tree):
    """The names a module imports from matplotlib."""
    return {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("matplotlib") for alias in node.names}


def _overrides(tree):
    """The methods of the module's classes that derive from a matplotlib class (overriding its methods)."""
    base = _matplotlib_classes(tree)
    return {(cls, f.name) for cls in ast.walk(tree) if isinstance(cls, ast.ClassDef)
            and any(isinstance(b, ast.Name) and b.id in base for b in cls.bases)
            for f in cls.body if isinstance(f, ast.FunctionDef)}


def _ours():
    """nnlab's own private names: the methods of its classes (but those that override matplotlib's), its
    functions, and the attributes it sets on ``self``."""
    names = set()
    for _, path in modules():
        tree = ast.parse(path.read_text())
        overriding = {f for _, f in _overrides(tree)}
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name not in overriding:
                names.add(node.name)
            elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                  and isinstance(node.value, ast.Name) and node.value.id == "self"):
                names.add(node.attr)
    return names


def matplotlib_private_names(source, ours=frozenset()):
    """The private names of matplotlib that ``source`` reads, calls or overrides: ``x._name`` (but
    ``self._name``), ``getattr(x, "_name", ...)``, and methods of classes derived from matplotlib's named as one
    of its private names, when nnlab does not define the name itself (``ours``)."""
    if not MATPLOTLIB_PRIVATE:
        MATPLOTLIB_PRIVATE.append(_matplotlib_private())
    tree = ast.parse(source)
    found = {f for _, f in _overrides(tree)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and not (isinstance(node.value, ast.Name) and node.value.id == "self"):
            found.add(node.attr)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "hasattr") and len(node.args) > 1
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
            found.add(node.args[1].value)
    return {n for n in found & MATPLOTLIB_PRIVATE[0] - STDLIB if not n.startswith("_repr_")
            and (n not in ours or n in {f for _, f in _overrides(tree)})}


@pytest.mark.parametrize("name,path", list(modules()), ids=[n for n, _ in modules()])
def test_private_matplotlib_names_only_in_the_fast_path(name, path):
    from nnlab.views import fastpath

    found = matplotlib_private_names(path.read_text(), nnlab_names())
    if FASTPATH in path.parents or path == ORACLE:
        checked = ({p.rsplit(".", 1)[-1] for _, p in fastpath.PRIVATE}
                   | {n for names in fastpath.INSTANCE.values() for n in names} | set(fastpath.OPTIONAL))
        assert found <= checked, f"{name} uses {sorted(found - checked)}: list them in fastpath's checks"
    else:
        assert not found, f"{name} uses matplotlib's private names {sorted(found)} (only views/fastpath may)"


def test_the_private_name_rule_sees_real_uses():
    """It finds what the fast renderer really uses, and a planted use elsewhere; nnlab's own names pass."""
    canvas = matplotlib_private_names((FASTPATH / "canvas.py").read_text(), nnlab_names())
    assert {"_render_glyph", "_get_layout", "_draw_text_glyphs_and_boxes", "_fontproperties"} <= canvas
    assert matplotlib_private_names("fig._suptitle.set_text('x')\ngetattr(leg, '_ncols', 1)") == {"_suptitle", "_ncols"}
    assert not matplotlib_private_names("self._stale\nnn._forward_layers(p, X, a)\nw._repr_mimebundle_()")

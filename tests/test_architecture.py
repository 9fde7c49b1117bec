"""The direction of dependency, visible from the names and enforced here (static imports, read with ast):

- models (``nnlab/*.py`` but the ones below) import only models;
- views (``nnlab/views/``) import models and views; checks (``nnlab/checks/``, ``nnlab/check.py``) import
  models and checks;
- grading (``nnlab/grading/``) imports checks, models, grading and the course sources (``authoring``);
- nothing imports grading but grading itself and the command line (``nnlab/__main__.py``);
- no module over about 500 lines (``LARGER`` names the exceptions).
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nnlab"
TOOLS = {"__init__", "__main__", "authoring", "env"}  # the course's tools: the command line, set-up check, sources


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
    ``views.base.memo`` (no lru_cache, no dict of results of its own)."""
    tree = ast.parse(path.read_text())
    models = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
              and node.level == 2 and not node.module for alias in node.names}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in models:
            assert not node.attr.startswith("_"), f"{path.name}: {node.value.id}.{node.attr} is private to the model"
        if isinstance(node, ast.Name):
            assert node.id != "lru_cache" or path.name == "base.py", f"{path.name}: use memo, not lru_cache"
        if isinstance(node, ast.Attribute):
            assert "cache" not in node.attr.lower() or path.name == "render.py", \
                f"{path.name}: self.{node.attr}: results are remembered by memo"


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

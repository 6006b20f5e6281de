"""The package layout is the architecture: each package's docstring says what it owns and what it may import,
and the code keeps to it (an AST check of every import, including imports inside functions)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import clustergraph

SRC = Path(clustergraph.__file__).resolve().parent
README = Path(__file__).resolve().parents[1] / "README.md"
SHARED = {"errors", "iris", "settings", "limits", "__version__"}  # open to every package
TOP_LEVEL = {"errors": set(), "iris": set(), "settings": {"errors", "iris"}, "limits": set()}  # shared modules' own imports
_ITEM = re.compile(r"([a-z_.]+)(?: \(([^)]*)\))?")


def packages() -> list[str]:
    return sorted(p.name for p in SRC.iterdir() if (p / "__init__.py").is_file())


def docstring_line(package: str, key: str) -> str:
    doc = ast.get_docstring(ast.parse((SRC / package / "__init__.py").read_text())) or ""
    found = re.search(rf"^{key}: (.+?)\.(?:\s|\Z)", doc, re.M | re.S)  # the line runs to its full stop
    assert found, f"clustergraph.{package}'s docstring has no '{key}:' line"
    return " ".join(found[1].split())


def allowed_imports(package: str) -> dict[str, set[str] | None]:
    """``May import:`` as {target: modules of this package allowed to import it, or None for all}."""
    line = docstring_line(package, "May import")
    if line.startswith("nothing"):
        return {}
    rules: dict[str, set[str] | None] = {}
    for match in _ITEM.finditer(line.split(". ")[0]):
        if match[1] in {"", "never"}:
            continue
        rules[match[1]] = {m.strip() for m in match[2].split(",")} if match[2] else None
    return rules


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every ``clustergraph...`` module ``path`` imports, resolved to a module where a name is one."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("clustergraph")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("clustergraph"):
            for alias in node.names:
                parts = node.module.split(".")[1:] + [alias.name]
                candidate = SRC.joinpath(*parts)
                is_module = candidate.with_suffix(".py").is_file() or (candidate / "__init__.py").is_file()
                found.append((node.lineno, ".".join(["clustergraph", *parts]) if is_module else node.module))
    return found


def violations(package: str) -> list[str]:
    rules = allowed_imports(package)
    bad = []
    for path in sorted((SRC / package).rglob("*.py")):
        module = path.relative_to(SRC / package).with_suffix("").parts[0]
        for line, target in sorted(set(imports_of(path))):
            parts = target.split(".")[1:]
            if not parts or parts[0] in SHARED or parts[0] == package:
                continue
            dotted = ".".join(parts)
            permitted = [scope for key, scope in rules.items() if dotted == key or dotted.startswith(key + ".")]
            if not any(scope is None or module in scope for scope in permitted):
                bad.append(f"{path.relative_to(SRC.parent)}:{line} imports {target}")
    return bad


@pytest.mark.parametrize("package", packages())
def test_imports_follow_the_declared_direction(package: str) -> None:
    assert not violations(package), f"clustergraph.{package} may import only " \
        f"{docstring_line(package, 'May import')}:\n" + "\n".join(violations(package))


@pytest.mark.parametrize("package", packages())
def test_docstring_lists_what_the_package_owns(package: str) -> None:
    owned = {item.strip().split(" ")[0] for item in docstring_line(package, "Owns").split(",")}
    if "every" in owned:  # "every module in this folder, ..."
        return
    present = {p.stem for p in (SRC / package).glob("*.py") if p.stem != "__init__"}
    present |= {p.name for p in (SRC / package).iterdir() if (p / "__init__.py").is_file()}
    assert present <= owned | {"__main__"}, f"not listed in clustergraph.{package}'s Owns: {sorted(present - owned)}"
    assert owned <= present, f"listed but missing: {sorted(owned - present)}"


def test_shared_modules_import_no_package() -> None:
    for name, allowed in TOP_LEVEL.items():
        targets = {t.split(".")[1] for _, t in imports_of(SRC / f"{name}.py") if t.count(".")}
        assert targets <= allowed, (name, targets)


def test_a_forbidden_import_is_caught(tmp_path, monkeypatch) -> None:
    """The check can fail: a kg module importing the web is reported with its file and line."""
    fake = tmp_path / "clustergraph"
    (fake / "kg").mkdir(parents=True)
    (fake / "web").mkdir()
    (fake / "kg" / "__init__.py").write_text('"""KG.\n\nOwns: bad.\nMay import: sparql.\n"""\n')
    (fake / "web" / "__init__.py").write_text('"""Web.\n\nOwns: app.\nMay import: kg.\n"""\n')
    (fake / "web" / "app.py").write_text("")
    (fake / "kg" / "bad.py").write_text("from clustergraph.web import app\n")
    monkeypatch.setattr(__import__(__name__), "SRC", fake)
    assert violations("kg") == ["clustergraph/kg/bad.py:1 imports clustergraph.web.app"]
    assert violations("web") == []


def test_readme_layout_maps_every_package() -> None:
    text = README.read_text(encoding="utf-8")
    layout = text[text.index("## Layout"):]
    listed = set(re.findall(r"^src/clustergraph/([a-z_]+)/ ", layout, re.M))
    assert listed == set(packages()), f"README Layout lists {sorted(listed)}, the tree has {packages()}"

"""Derives the table the transformers-neuronx stand-in is generated from, by reading the real source.

transformers-neuronx needs Inferentia2 and is not on PyPI, so the tests use a stand-in
(``stand_in/transformers_neuronx``). The stand-in builds its model classes from
``transformers_neuronx/api.json``: per supported ``model_type``, the class that
``NeuronAutoModelForCausalLM`` maps it to, the signatures of its constructor and
``sample``, whether it can ``save``/``load`` compiled artifacts, and where unknown constructor
keywords go. This script reads those facts from a checkout of the real library with ``ast``
(nothing of it is imported or copied) and writes the table, or checks that the committed one
still matches:

    git clone https://github.com/aws-neuron/transformers-neuronx /tmp/tnx   # or the search tool's fetch
    python3 python/tests/support/stand_in/derive_api.py /tmp/tnx --commit <sha> --check

It was run against aws-neuron/transformers-neuronx commit 1ade6d7 (2024-12-26, version 0.13.x),
the last public source of the library.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

TABLE = Path(__file__).resolve().parent / "transformers_neuronx" / "api.json"
PACKAGE = "src/transformers_neuronx"


def _params(fn: ast.FunctionDef) -> dict:
    """The parameters of a function (``self`` dropped) as [name, kind, default source or None]."""
    a = fn.args
    out = []
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    for arg, default in zip(positional, defaults, strict=True):
        out.append([arg.arg, "positional_or_keyword", None if default is None else ast.unparse(default)])
    if a.vararg:
        out.append([a.vararg.arg, "var_positional", None])
    for arg, default in zip(a.kwonlyargs, a.kw_defaults, strict=True):
        out.append([arg.arg, "keyword_only", None if default is None else ast.unparse(default)])
    if a.kwarg:
        out.append([a.kwarg.arg, "var_keyword", None])
    return {"params": out[1:] if out and out[0][0] in ("self", "cls") else out, "line": fn.lineno}


def _classes(path: Path) -> dict[str, ast.ClassDef]:
    tree = ast.parse(path.read_text())
    return {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}


def _methods(cls: ast.ClassDef) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in cls.body if isinstance(n, ast.FunctionDef)}


def _imports(path: Path) -> dict[str, str]:
    """Name -> dotted module of the ``from transformers_neuronx... import Name`` lines of a file."""
    found = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("transformers_neuronx"):
            for alias in node.names:
                found[alias.asname or alias.name] = node.module
    return found


def _module_file(root: Path, dotted: str) -> Path:
    return root / (dotted.replace(".", "/") + ".py")


def _resolve_class(root: Path, module: str, name: str) -> tuple[Path, ast.ClassDef]:
    path = _module_file(root / "src", module)
    classes = _classes(path)
    if name in classes:
        return path, classes[name]
    imported = _imports(path)
    if name in imported:
        return _resolve_class(root, imported[name], name)
    raise LookupError(f"{name} not found in {module}")


def _base_chain(root: Path, path: Path, cls: ast.ClassDef) -> list[tuple[Path, ast.ClassDef]]:
    """The class and its transformers_neuronx bases (``module.PretrainedModel`` style references)."""
    chain = [(path, cls)]
    imported = _imports(path)
    for base in cls.bases:
        text = ast.unparse(base)
        module = None
        if "." in text:  # module.Class, with `from transformers_neuronx import module`
            alias, _, name = text.rpartition(".")
            if alias in imported:
                module = f"{imported[alias]}.{alias}"
        elif text in imported:
            module, name = imported[text], text
        elif text in _classes(path):
            module, name = None, text
        if module is None and text in _classes(path):
            chain += _base_chain(root, path, _classes(path)[text])
        elif module is not None:
            base_path, base_cls = _resolve_class(root, module, name)
            chain += _base_chain(root, base_path, base_cls)
    return chain


def _kwargs_policy(root: Path, path: Path, init: ast.FunctionDef) -> dict:
    """Where ``**kwargs`` of a constructor go: to a config class that refuses unknown keys, or nowhere."""
    imported = _imports(path)
    for node in ast.walk(init):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.endswith("Config"):
            if not any(k.arg is None for k in node.keywords):
                continue
            name = node.func.id
            config_path, config_cls = _resolve_class(root, imported[name], name)
            config_init = _methods(config_cls)["__init__"]
            attributes, refuses = [], False
            for stmt in config_init.body:
                text = ast.unparse(stmt)
                if "maybe_override_attributes" in text:
                    refuses = True
                    break
                for target in getattr(stmt, "targets", []):
                    if isinstance(target, ast.Attribute) and ast.unparse(target.value) == "self":
                        attributes.append(target.attr)
            if refuses:
                return {
                    "to": f"{name} ({config_path.relative_to(root).as_posix()}:{config_init.lineno})",
                    "unknown": "KeyError",
                    "known": sorted(set(attributes)),
                }
    return {"to": None, "unknown": "ignored", "known": []}


def derive(root: Path, commit: str) -> dict:
    auto = root / PACKAGE / "modeling_auto.py"
    tree = ast.parse(auto.read_text())
    mapping = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "NEURON_MODEL_FOR_CAUSAL_LM_MAPPING":
            for key, value in zip(node.value.keys, node.value.values, strict=True):
                mapping[ast.literal_eval(key)] = ast.unparse(value).rpartition(".")[2]
    exported = _imports(root / PACKAGE / "__init__.py")
    families = {}
    for model_type, class_name in sorted(mapping.items()):
        path, cls = _resolve_class(root, exported[class_name], class_name)
        chain = _base_chain(root, path, cls)
        methods = {}
        for _, c in reversed(chain):
            methods.update(_methods(c))
        init = _methods(cls)["__init__"]
        families[model_type] = {
            "class": class_name,
            "file": f"{path.relative_to(root).as_posix()}:{cls.lineno}",
            "bases": [c.name for _, c in chain[1:]],
            "serializable": "save" in methods and "load" in methods,
            "init": {**_params(init), "kwargs": _kwargs_policy(root, path, init)},
            "sample": _params(methods["sample"]),
        }
    config_file = root / PACKAGE / "config.py"
    configs = {
        name: _params(_methods(cls)["__init__"])
        for name, cls in _classes(config_file).items()
        if name in ("NeuronConfig", "QuantizationConfig")
    }
    version = ""
    for node in ast.parse((root / PACKAGE / "version.py").read_text()).body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "__version__":
            version = ast.literal_eval(node.value)
    return {
        "source": {
            "repository": "aws-neuron/transformers-neuronx",
            "commit": commit,
            "version": version,
            "mapping": f"{PACKAGE}/modeling_auto.py (NEURON_MODEL_FOR_CAUSAL_LM_MAPPING)",
            "derived_by": "python/tests/support/stand_in/derive_api.py",
        },
        "families": families,
        "configs": configs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a checkout of aws-neuron/transformers-neuronx")
    parser.add_argument("--commit", required=True, help="the commit of that checkout, recorded in the table")
    parser.add_argument("--check", action="store_true", help="fail when the committed table differs")
    args = parser.parse_args(argv)
    table = derive(args.source, args.commit)
    text = json.dumps(table, indent=1, sort_keys=True) + "\n"
    if args.check:
        if TABLE.read_text() != text:
            print(
                f"{TABLE} differs from the source at {args.commit}; run without --check to rewrite it", file=sys.stderr
            )
            return 1
        print(f"{TABLE} matches {args.source} at {args.commit}")
        return 0
    TABLE.write_text(text)
    print(f"wrote {TABLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

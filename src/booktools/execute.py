"""Re-run every notebook of the book in place, in ``_toc.yml`` order: ``python -m booktools.execute``.

Outputs, including widget state (so that progress bars and widgets render in the static
book), are saved into the notebooks.  Pass file names to run only some of them.  The kernel
loads ``booktools.figure_labels``, which stores a Korean-labelled copy of every figure in the
output's metadata for the Korean edition.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def notebooks_in_toc(toc: Path = ROOT / "_toc.yml") -> list[Path]:
    """The notebooks listed in ``_toc.yml``, in reading order."""
    files = re.findall(r"^\s*-?\s*file:\s*(\S+)\s*$", toc.read_text(), flags=re.MULTILINE)
    paths = [ROOT / f"{name}.ipynb" for name in files]
    return [path for path in paths if path.exists()]


def execute_notebook(path: Path, timeout: int = 1800) -> float:
    """Execute one notebook in place with its own folder as working directory; return seconds."""
    import nbformat
    from nbclient import NotebookClient

    from booktools import figure_labels

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True,
        extra_arguments=figure_labels.kernel_arguments(),
    )
    os.environ[figure_labels.PAGE_ENV] = path.stem
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    prune_widget_state(notebook)
    nbformat.write(notebook, path)
    return elapsed


def prune_widget_state(notebook: dict) -> int:
    """Drop saved widget models that no output shows (nbclient keeps the models of earlier
    executions, e.g. of a widget the notebook no longer has); returns how many went."""
    state = (notebook.get("metadata", {}).get("widgets", {})
             .get("application/vnd.jupyter.widget-state+json", {}).get("state"))
    if not state:
        return 0
    text = json.dumps(notebook["cells"])
    wanted = set(re.findall(r'"model_id": "([0-9a-f]+)"', text))
    todo = list(wanted)
    while todo:  # models that shown models refer to ("IPY_MODEL_<id>")
        model = state.get(todo.pop())
        for child in re.findall(r"IPY_MODEL_([0-9a-f]+)", json.dumps(model or {})):
            if child not in wanted:
                wanted.add(child)
                todo.append(child)
    stale = [key for key in state if key not in wanted]
    for key in stale:
        del state[key]
    return len(stale)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in _toc.yml")
    args = parser.parse_args(argv)
    paths = [path.resolve() for path in args.notebooks] or notebooks_in_toc()
    for path in paths:
        if not path.exists():
            parser.error(f"no such notebook: {path}")
    for path in paths:
        print(f"executing {path.relative_to(ROOT)} ...", flush=True)
        print(f"  done in {execute_notebook(path):.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

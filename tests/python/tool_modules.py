"""The scripts under tools/ as modules, for their tests: loaded from their file (tools/ is no
package), with tools/ on sys.path so their imports of each other resolve."""
import importlib.util
import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[2] / "tools"


def load_tool(name):
    """A fresh module of tools/NAME.py (its module-level state is read anew on every call)."""
    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

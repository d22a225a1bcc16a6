"""Tests run by the .venv interpreter (tools/setup_python.sh): Metaworld and the activeft peer."""
import sys


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: end-to-end tests that take more than a few seconds")
    if not sys.prefix.endswith(".venv"):
        raise SystemExit(f"tests/python_venv needs the .venv interpreter (tools/setup_python.sh), not {sys.executable}")

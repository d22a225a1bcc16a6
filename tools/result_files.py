"""Reading committed study results (docs/results/NAME/): one reader for the tools that quote them.

Large CSVs are committed gzipped (publish_results.py packs them), so a reader takes either form.
"""
import csv
import gzip
import io
from pathlib import Path


def read_csv(directory: Path, name: str) -> list:
    """The rows of NAME or NAME.gz in DIRECTORY, as dicts."""
    plain, packed = directory / name, directory / (name + ".gz")
    if plain.is_file():
        text = plain.read_text()
    elif packed.is_file():
        text = gzip.decompress(packed.read_bytes()).decode()
    else:
        raise FileNotFoundError(f"{directory} has neither {name} nor {name}.gz")
    return list(csv.DictReader(io.StringIO(text)))

"""What the reports that write one generated page share: ``python -m reports NAME [--results DIR]``."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable, Optional

from lamsim.runtime import results


def write_page(argv: Optional[list], name: str, doc: str, filename: str, make: Callable[[Path], str]) -> int:
    """Parse ``--results DIR``, write ``DIR/filename`` from ``make(DIR)`` atomically and say so; exit 0."""
    p = argparse.ArgumentParser(prog=f"python -m reports {name}", description=doc,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results", default="results", help="results folder (default results/)")
    base = Path(p.parse_args(argv).results)
    text = make(base)
    results.atomic_write(base / filename, lambda f: f.write(text.encode()))
    print(f"wrote {base / filename}")
    return 0

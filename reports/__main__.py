"""``python -m reports NAME [options] | all [--results DIR]``: the judge, Markdown out, nothing trained.

NAMEs, in the order ``all`` writes them (each reads only the results folder):

- ``table1``: ``DIR/table1.md``, Table 1 under every protocol (``--authors NAME``, ``--compare DIR``);
- ``augmentation``: ``DIR/table1_augmentation.md``, the candidates for the paper's augmentation row;
- ``exogenous``: ``DIR/exo_remedies.md``, the exogenous-state remedies;
- ``beyond``: ``DIR/beyond.md``, beyond pixels: representation targets and a multi-step IDM;
- ``agreement``: ``DIR/paper/agreement.md``, the paper reading against the authors' figure values;
- ``claims``: ``DIR/claims.md``, every claim's verdict; exit 0 only when every claim holds, 1 otherwise;
- ``readme``: ``DIR/README.md`` and the front page's verdict tables (``--check``: write nothing, exit 1
  where a file is out of date).

``python -m reports NAME --help`` lists a report's options. Bad input or an unreadable result ends in
one line ``error: ...`` and status 2. ``all`` exits 0 once every report is written (the verdicts are
``python -m reports claims``'s exit status), 2 at the first error.
"""
from __future__ import annotations

import importlib
import sys

from lamsim.errors import fail, guarded

#: Every report, in the order ``all`` writes them.
REPORTS = ("table1", "augmentation", "exogenous", "beyond", "agreement", "claims", "readme")


def run(argv: list) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    name, rest = argv[0], argv[1:]
    if name == "all":
        if rest and (len(rest) != 2 or rest[0] != "--results"):
            fail("all", " ".join(rest), "takes only --results DIR")
        for report in REPORTS:
            status = guarded(importlib.import_module(f"reports.{report}").main, rest)
            if status == 2:
                return 2
        return 0
    if name not in REPORTS:
        fail("report", name, f"must be one of {', '.join(REPORTS)} or all")
    return importlib.import_module(f"reports.{name}").main(rest)


def main(argv=None) -> int:
    return guarded(run, sys.argv[1:] if argv is None else list(argv))


if __name__ == "__main__":
    sys.exit(main())

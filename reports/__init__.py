"""The judging layer: results in, Markdown out (claims, the Table 1 report); no matplotlib.

Run from the repository root (``python -m reports NAME``); like ``experiments/`` and ``figures/``
it is not installed, and the library :mod:`lamsim` never imports it.
"""

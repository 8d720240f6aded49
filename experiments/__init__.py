"""The paper's experiments, declared: one module per panel or table, one shared runner.

Run from the repository root: ``python -m experiments NAME|all``. This folder is
not installed as a package (it would collide with other projects' top-level
``experiments``); the library :mod:`lamsim` never imports it.
"""
PANELS = ("fig3_left", "fig3_middle", "fig3_right", "fig4_left", "fig4_middle", "fig4_right")
#: The same panels read as the paper read them (experiments/paper_reading.py), written to OUT/paper/.
PAPER = tuple(f"paper/{p}" for p in PANELS)
#: Points of a paper panel read again at more seeds (experiments/paper_reading.py, SEEDED).
PAPER_SEEDED = ("paper/fig4_middle_seeds",)
#: Table 1: as the authors ran it (the default, which claim C8 rests on), the candidate protocols of
#: its augmentation row, then our variant of it.
TABLES = ("table1_authors", "table1_augmentation", "table1")
#: The tables of the authors' protocol: ``--profile cpu|faithful``; every one but the published
#: cpu ``table1_authors`` trains in resumable units (experiments/table1_units.py).
AUTHORS_TABLES = ("table1_authors", "table1_augmentation")
#: Beyond the paper: training curves (experiments/dynamics.py).
DYNAMICS = ("dynamics_chi", "dynamics_kappa")
#: Beyond the paper: the IDM's inputs (experiments/idm.py) and the label rate against the numerical
#: optimum (experiments/labels.py).
BEYOND = ("idm", "labels")
#: Beyond the paper: exogenous state with its own dynamics and the remedies later work proposes
#: (experiments/exo_state.py, exo_mask.py, exo_remedies.py).
EXOGENOUS = ("exo_state", "exo_mask", "exo_remedies", "exo_remedies_optimum")
#: Beyond pixels: frozen feature maps, a learned encoder with a slow target, a multi-step IDM, and
#: settings held back for the theory check (experiments/beyond.py).
BEYOND_PIXELS = ("beyond_features", "beyond_encoder", "beyond_horizon", "beyond_held_back", "beyond_remedies",
                 "beyond_tau")
#: What ``all`` (and ``make figures``) runs.
NAMES = PANELS + PAPER + PAPER_SEEDED + TABLES + DYNAMICS + BEYOND + EXOGENOUS + BEYOND_PIXELS
#: Also runnable by name: the profile check behind row P of ``make check``.
CHECKS = ("profile_check",)
#: Runnable by name, not by ``all``: our variant of Table 1 without dead-code restarts.
VARIANTS = ("table1_norestart",)
#: Where a name's declaration lives when it is not ``experiments.NAME.EXPERIMENT``.
_DECLARED = {"dynamics_chi": ("dynamics", "CHI"), "dynamics_kappa": ("dynamics", "KAPPA"),
             "table1_authors": ("table1", "AUTHORS"),
             "table1_augmentation": ("table1", "AUGMENTATION"), "table1_norestart": ("table1", "NORESTART"), "exo_remedies_optimum": ("exo_remedies", "OPTIMUM"),
             **{name: ("beyond", "PANELS") for name in BEYOND_PIXELS}}


def experiment(name: str):
    """The declared ``EXPERIMENT`` of ``name`` (a panel or a table)."""
    import importlib

    if name not in NAMES + CHECKS + VARIANTS:
        raise ValueError(f"experiment={name!r} is invalid: must be one of {', '.join(NAMES + CHECKS + VARIANTS)} "
                         f"or all")
    if name in PAPER:
        return importlib.import_module("experiments.paper_reading").PANELS[name.split("/", 1)[1]]
    if name in PAPER_SEEDED:
        return importlib.import_module("experiments.paper_reading").SEEDED[name.split("/", 1)[1][:-len("_seeds")]]
    module, attribute = _DECLARED.get(name, (name, "EXPERIMENT"))
    declared = getattr(importlib.import_module(f"experiments.{module}"), attribute)
    return declared[name] if isinstance(declared, dict) else declared

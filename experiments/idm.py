"""Beyond the paper: which inputs should the IDM see? The full IDM z = C o + D o' (paper Sec. 3.2)
against the difference IDM z = C (o' - o) (the authors' scripts with C + D = 0), as the policy
becomes deterministic.

Both reach the same PCA floor (lamsim/linear/theory.py derives the difference IDM's optimum), but
only the difference IDM's latent is pinned: it holds no o for any parameters, so its true latent
is the theory's optimal latent, while the full IDM's true latent keeps whatever o-loading A
cancels (paper Sec. 4.1). The surrogate latent is read beside it (the same training). Fig 4 left's
chi grid and step counts, no noise and other agents at sigma_exo 0.5, d_z 4 and 8, interventional
probes.
"""
from experiments.fig4_left import CHI, NOISE, STEPS
from experiments.runner import Panel
from lamsim.linear.settings import Setting
from lamsim.linear.sweep import Axis

IDM = Axis.of("idm", ["full", "difference"])
LATENT = Axis.of("latent", ["true", "surrogate"])

EXPERIMENT = Panel(
    name="idm", claim="beyond the paper: the difference IDM's latent holds the action at every chi < 1, "
                      "the full IDM's true latent also holds o",
    base=Setting(d_a=8, d_b=8), step_table=STEPS,
    axes=(IDM, Axis.of("chi", CHI), Axis.of("d_z", [4, 8]), NOISE, LATENT),
    quick_axes=(IDM, Axis.of("chi", [0.0, 0.5, 0.9, 1.0]), Axis.of("d_z", [8]), NOISE, LATENT),
)

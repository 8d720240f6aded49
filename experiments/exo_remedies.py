"""Beyond the paper: the remedies later work proposes, side by side, against exogenous state.

Rows (each a named Setting field): none; A fixed to I (a residual FDM); the paper's augmentation
(|kappa| 0.1, Sec. 4.3); the difference IDM z = C (o' - o) (what AC-LAM's constraints, arXiv
2604.03340, reduce to for a linear IDM: docs/method.md); a perfect reconstruction mask of weight 0.2
(MaskLAM, arXiv 2602.02259); 1% action labels (Sec. 4.4; LAOM, arXiv 2502.00379). Columns: a slow
(rho 0.95), a fast (rho 0) and an oscillating (rho -0.5) background at amplitudes sigma_e 0.8 and 2.
Both latents are read (the surrogate is the theory's; the paper reads augmentation and labels on the
true latent). Every cell also holds the numerical optimum of its expected loss (``optimum_llo``),
the theory line where the closed form is NaN (augmentation, labels).
"""
from experiments.exo_state import STEPS
from experiments.runner import Panel
from lamsim.linear.settings import Setting
from lamsim.linear.sweep import Axis

#: (row name, the Setting fields it sets).
CLOSED = (("none", {}), ("A = I", {"learn_a": False}), ("difference IDM", {"idm": "difference"}),
          ("mask", {"mask_weight": 0.2}))
NUMERICAL = (("augmentation", {"kappa": 0.1}), ("1% labels", {"label_rate": 0.01}))
#: The table's row order.
ROWS = ("none", "A = I", "augmentation", "difference IDM", "mask", "1% labels")
#: Steps of the rows without a closed form (the others take experiments/exo_state.py's).
NUMERICAL_STEPS = {"exact": 4000, "fast": 16000, "faithful": 80000}


def _remedy(rows) -> Axis:
    return Axis("remedy", tuple(n for n, _ in rows), tuple(f for _, f in rows))


#: The backgrounds: (name, rho).
BACKGROUND = Axis("background", ("slow", "fast", "oscillating"), ({"rho": 0.95}, {"rho": 0.0}, {"rho": -0.5}))
SIGMA = Axis.of("sigma", [0.8, 2.0])
LATENT = Axis.of("latent", ["surrogate", "true"])

BASE = Setting(d_a=8, d_b=8, d_z=8, noise="exo-state", sigma=1.0, latent="surrogate")
CLAIM = "beyond the paper: which remedy keeps the latent on the action when the background has its own dynamics"
EXPERIMENT = Panel(name="exo_remedies", step_table=STEPS, claim=CLAIM, base=BASE,
                   axes=(_remedy(CLOSED), BACKGROUND, SIGMA, LATENT), quick_axes=(_remedy(CLOSED), BACKGROUND, SIGMA, LATENT))
OPTIMUM = Panel(name="exo_remedies_optimum", step_table=NUMERICAL_STEPS, claim=CLAIM, base=BASE,
                axes=(_remedy(NUMERICAL), BACKGROUND, SIGMA, LATENT),
                quick_axes=(_remedy(NUMERICAL), BACKGROUND, SIGMA, LATENT), optimum=True)

"""The paper's figures as the paper read them: the six panels under the authors' protocol.

The data behind the paper's Figures 3 and 4 was written by the authors' figure scripts
(github zhangchuheng123/LinearLAM, commit f44f3a69453fa854499fc3155135eb925722ebfc,
``scripts/*.py``; experiments/data/authors_figures.md has the provenance of each panel). Each
panel below states that protocol with lamsim's own fields, on the authors' grid:

* training: Adam at a constant 1e-3 on fresh batches of 128 for the authors' step count
  (:data:`PROFILE`); A fixed to I in the Figure 3 scripts (``learn_a=False``); uniform i.i.d. noise in Figure 4
  middle (``noise_dist="uniform"``);
* reading: what each probe reads (``latent``, ``obs_latent``), where the probes are fitted and
  scored (``probe``), and how they are estimated (``reading``: the closed form of the authors'
  probe, or the probe trained their way where its finite training sets the number: Figure 3
  left, and Figure 4 left at chi = 1).

Results go to ``OUT/paper/<panel>.npz`` with the axes named as ours. :data:`PLOTTED` turns the
arrays into the number each notebook plots (without Figure 3 middle's cosmetic offset).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from experiments.runner import Panel, noise_axis
from lamsim.linear.settings import Setting
from lamsim.linear.sweep import Axis

#: The authors' Adam steps per panel (the iteration each notebook reads).
STEPS = {"fig3_left": 5000, "fig3_middle": 10000, "fig3_right": 40000,
         "fig4_left": 40000, "fig4_middle": 40000, "fig4_right": 40000}
#: The authors' optimiser: Adam at a constant 1e-3 on sampled batches of 128 (``faithful``). Adam on
#: the expected loss does not follow it where the loss is nearly flat (docs/method.md, Sec. 12:
#: at |kappa| 0.01, 40,000 steps, LLO 2.000 on the expected loss, 1.647 on samples).
PROFILE = {name: "faithful" for name in STEPS}
#: Seeds per panel (the authors ran one unseeded run per point): three, as Fig 4 left needs (chi 0.9,
#: d_z 8 spreads by 0.16 over its seeds); one for Fig 4 middle and right, whose 40,000 sampled steps
#: with A learned make three too slow for a CPU (docs/performance.md, Sec. 8).
SEEDS = {"fig3_left": 3, "fig3_middle": 3, "fig3_right": 3, "fig4_left": 3, "fig4_middle": 1, "fig4_right": 1}
#: Where the results go, under the output folder.
FOLDER = "paper"


def _d_z(start: int, stop: int = 16, step: int = 1) -> Axis:
    return Axis.of("d_z", range(start, stop + 1, step))


#: chi from which Fig 4 left's probes are trained the authors' way: at chi = 1 the finite training
#: sets the number. (At chi 0.9 the closed form differs from the trained probe by up to 0.05, d_z 8,
#: one seed; below 0.9 by 0.005 or less: docs/method.md, Sec. 12.)
TRAINED_PROBES_FROM_CHI = 1.0


def _chi_axis() -> Axis:
    """chi 0 to 1 by 0.1, the probes trained the authors' way from :data:`TRAINED_PROBES_FROM_CHI` on."""
    values = tuple(float(c) for c in np.round(np.arange(11) * 0.1, 1))
    return Axis("chi", values, tuple({"chi": c, "reading": "paper"} if c >= TRAINED_PROBES_FROM_CHI else {"chi": c}
                                     for c in values))


_FIG3 = Setting(learn_a=False, latent="true", d_a=8, d_b=8)
_FIG4 = Setting(latent="true", d_a=8, d_b=8)

_PANELS = {
    "fig3_left": Panel(
        name="fig3_left", claim="C2 as the paper read it: A = I, probes on z trained the authors' way",
        # The probes' 5,000 Adam steps set the number at d_z < d_a (d_a 2, d_z 1: LLO 1.43 against
        # the closed form's 1.50; the authors' 1.425), so they are trained here as the authors did.
        base=_FIG3.replace(reading="paper"), axes=(Axis.of("d_a", range(2, 17, 2)), _d_z(1)),
        quick_axes=(Axis.of("d_a", [4, 8]), Axis.of("d_z", [2, 4, 8, 12]))),
    "fig3_middle": Panel(
        name="fig3_middle", claim="C3 as the paper read it: probes fitted on noisy data, scored without noise",
        base=_FIG3.replace(probe="noise-free"),
        axes=(noise_axis("sigma", "iid", np.round(np.arange(16) * 0.1, 1)), _d_z(4, 16, 2)),
        quick_axes=(noise_axis("sigma", "iid", [0.0, 0.5, 1.5]), Axis.of("d_z", [4, 8, 12]))),
    "fig3_right": Panel(
        name="fig3_right", claim="C4 as the paper read it: A = I, probes on z, noise target b",
        base=_FIG3, axes=(noise_axis("sigma", "exo", [0.5, 2.0]), _d_z(2)),
        quick_axes=(noise_axis("sigma", "exo", [0.5, 2.0]), Axis.of("d_z", [4, 8, 12, 16]))),
    "fig4_left": Panel(
        name="fig4_left", claim="C5 as the paper read it: action from o'_hat - o, o from z, probes fitted on the "
                                "policy's data",
        base=_FIG4.replace(latent="unprojected", obs_latent="true", probe="policy-fit"),
        axes=(_chi_axis(), _d_z(2)),
        quick_axes=(Axis.of("chi", [0.0, 0.5, 0.9]), Axis.of("d_z", [2, 8]))),
    "fig4_middle": Panel(
        name="fig4_middle", claim="C6 as the paper read it: uniform i.i.d. noise, LLO against d_z",
        base=_FIG4.replace(noise_dist="uniform"),
        axes=(Axis.of("kappa", [0.0, 0.01, 0.1]), noise_axis("sigma", "iid", [0.0, 0.1, 0.5, 1.0]), _d_z(2)),
        quick_axes=(Axis.of("kappa", [0.0, 0.01, 0.1]), noise_axis("sigma", "iid", [0.0]), Axis.of("d_z", [8]))),
    "fig4_right": Panel(
        name="fig4_right", claim="C7 as the paper read it: |kappa| 0.1, 1% labels",
        base=_FIG4.replace(kappa=0.1),
        axes=(noise_axis("sigma", "exo", [0.5, 1.0, 2.0]), _d_z(2), Axis.of("label_rate", [0.0, 0.01])),
        quick_axes=(noise_axis("sigma", "exo", [2.0]), Axis.of("d_z", [8]), Axis.of("label_rate", [0.0, 0.01]))),
}


#: panel -> its declaration, named ``paper/<panel>`` (so it writes ``OUT/paper/<panel>.npz``).
PANELS = {name: dataclasses.replace(panel, name=f"{FOLDER}/{name}", fixed_profile=PROFILE[name],
                                    step_table={PROFILE[name]: STEPS[name]}, default_seeds=SEEDS[name])
          for name, panel in _PANELS.items()}


#: Where one seed is not enough: the points of Figure 4 middle whose one-seed reading lay more than
#: 0.05 from the authors' values (|kappa| 0.1, uniform sigma 0.5 and 1, d_z < 8), read again at 3
#: seeds (``paper/fig4_middle_seeds``); the agreement takes their seed means in place of the one seed.
SEEDED = {"fig4_middle": dataclasses.replace(
    PANELS["fig4_middle"], name=f"{FOLDER}/fig4_middle_seeds", default_seeds=3,
    claim="C6 as the paper read it, 3 seeds where one seed lay beyond 0.05 of the authors' values",
    axes=(Axis.of("kappa", [0.1]), noise_axis("sigma", "iid", [0.5, 1.0]), _d_z(2, 7)))}


def _llo(arrays: dict, noise_term) -> np.ndarray:
    return -arrays["nmse_action"] + arrays["nmse_obs"] + noise_term


#: panel -> arrays -> the LLO as the authors' notebook plots it (its adjustments, without
#: Figure 3 middle's cosmetic offset 0.016 - 0.002 d_z): Figure 3 left and Figure 4 middle
#: draw -act + obs + 1; Figure 3 right clips the noise term to [0, 1]; Figure 4 right clips
#: the LLO at 2.
PLOTTED = {
    "fig3_left": lambda a: _llo(a, 1.0),
    "fig3_middle": lambda a: a["llo"],
    "fig3_right": lambda a: _llo(a, np.clip(a["nmse_noise"], 0.0, 1.0)),
    "fig4_left": lambda a: a["llo"],
    "fig4_middle": lambda a: _llo(a, 1.0),
    "fig4_right": lambda a: np.minimum(a["llo"], 2.0),
}


def plotted(panel: str, result):
    """``result`` (a Results of ``panel``) with ``llo`` replaced by the number the authors' notebook
    plots (:data:`PLOTTED`)."""
    return result._replace(arrays={**result.arrays, "llo": PLOTTED[panel](result.arrays)})

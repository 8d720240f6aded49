"""Figure 4 left: a more deterministic data policy leaves less action in the latent (claim C5).

Two mechanisms, each with its own protocol (docs/method.md, docs/design.md):

* the paper's: no noise, probes fitted on the chi-policy's own data and scored
  where the action varies on its own (``probe="policy-fit"``, the paper's
  released chi script): the probe reads part of the action from o and fails
  under intervention, most of all at chi = 1;
* ours: other-agent noise sigma_exo = 0.5 and interventional probes: the
  residual action variance (1 - chi)^2 loses the PCA contest to the noise.

The grid is the product chi x d_z x noise x probe; settings that differ only in
the probe train once.
"""
import numpy as np

from experiments.runner import Panel
from lamsim.linear.settings import Setting
from lamsim.linear.sweep import Axis

NOISE = Axis("noise", ("none", "exo"), ({"noise": "none", "sigma": 0.0}, {"noise": "exo", "sigma": 0.5}))
PROBE = Axis.of("probe", ["interventional", "policy-fit"])
CHI = tuple(np.round(np.arange(10) * 0.1, 1)) + (0.95, 0.99, 1.0)

#: Adam steps per profile: ``faithful`` is the paper's released scripts (40,000 at 1e-3 for Figure 4);
#: ``fast`` and ``exact`` were measured to reach the same verdicts (docs/method.md Sec. 9.2).
STEPS = {"exact": 2000, "fast": 4000, "faithful": 40000}

EXPERIMENT = Panel(
    name="fig4_left", step_table=STEPS, claim="C5: the more deterministic the policy, the less action the latent holds",
    base=Setting(d_a=8, d_b=8, latent="surrogate"),
    axes=(Axis.of("chi", CHI), Axis.of("d_z", range(2, 17, 2)), NOISE, PROBE),
    quick_axes=(Axis.of("chi", [0.0, 0.3, 0.5, 0.7, 0.9, 1.0]), Axis.of("d_z", [8]), NOISE, PROBE),
)

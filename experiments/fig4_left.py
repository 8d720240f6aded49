"""Figure 4 left: a more deterministic data policy leaves less action in the latent (claim C5).

Run with and without other-agent noise (sigma_exo = 0.5): without noise the
population optimum is perfect for every chi < 1 (docs/method.md).
"""
import numpy as np

from experiments.runner import Panel
from lamsim.linear.settings import Setting
from lamsim.runtime.sweep import Axis

NOISE = Axis("noise", ("none", "exo"), ({"noise": "none", "sigma": 0.0}, {"noise": "exo", "sigma": 0.5}))

EXPERIMENT = Panel(
    name="fig4_left", claim="C5: the more deterministic the policy, the less action the latent holds",
    base=Setting(d_a=8, d_b=8, latent="surrogate"),
    axes=(Axis.of("chi", np.round(np.arange(11) * 0.1, 1)), Axis.of("d_z", range(2, 17, 2)), NOISE),
    quick_axes=(Axis.of("chi", [0.0, 0.3, 0.5, 0.7, 0.9]), Axis.of("d_z", [8]), NOISE),
)

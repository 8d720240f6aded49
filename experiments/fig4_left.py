"""Figure 4 left: a more deterministic data policy leaves less action in the latent (claim C5).

Run with and without other-agent noise (sigma_exo = 0.5): without noise the
population optimum is perfect for every chi < 1 (SPEC section 6).
"""
import numpy as np

from experiments.runner import Experiment
from lamsim.settings import Setting
from lamsim.sweep import Axis

NOISE = Axis("noise", ("none", "exo"), ({"noise": "none", "sigma": 0.0}, {"noise": "exo", "sigma": 0.5}))

EXPERIMENT = Experiment(
    name="fig4_left", figure=4, claim="C5: the more deterministic the policy, the less action the latent holds",
    base=Setting(d_a=8, d_b=8, latent="surrogate"),
    axes=lambda quick: (Axis.of("chi", [0.0, 0.7] if quick else np.round(np.arange(11) * 0.1, 1)),
                        Axis.of("d_z", [8] if quick else range(2, 17, 2)), NOISE),
)

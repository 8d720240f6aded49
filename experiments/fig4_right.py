"""Figure 4 right: 1% action labels push the latent from the noise to the action (claim C7).

The fast profile trains this panel for 8,000 steps: at 4,000 the labelled runs
stop short (sigma_exo 2, d_z 8: LLO 1.91 against 1.99 after the faithful
profile's 40,000 steps; 8,000 fast steps give 1.99), which the profile check of
``python -m lamsim.claims`` catches.
"""
from experiments.runner import Experiment, noise_axis
from lamsim.settings import Setting
from lamsim.sweep import Axis

EXPERIMENT = Experiment(
    name="fig4_right", figure=4, claim="C7: a linear action head on 1% labels rescues sigma_exo = 2",
    base=Setting(d_a=8, d_b=8, kappa=0.1, latent="true"),
    axes=lambda quick: (noise_axis("sigma", "exo", [2.0] if quick else [0.5, 1.0, 2.0]),
                        Axis.of("d_z", [8] if quick else range(2, 17, 2)),
                        Axis.of("label_rate", [0.0, 0.01])),
    fast_steps=8000,
)

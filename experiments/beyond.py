"""Beyond pixels: does a representation target change what the latent learns? (docs/method.md Sec. 18)

Four panels of the window trainer (lamsim/linear/window_eval.py), each against the same backgrounds:
i.i.d. noise (sigma 0.5: pixels hold the action), other agents (sigma 0.5: pixels hold it; 1.5: they do
not) and exogenous state (sigma_e 3, rho 0.9: the innovation's variance 1.71 beats the action's).

* ``beyond_features`` (V1): frozen maps, ``agent`` across its leak gamma and ``random`` across d_r;
* ``beyond_encoder`` (V2): a learned encoder (d_r 32) with an EMA target, tau, the stop-gradient
  options and weight decay, with and without 1% labels, in the exact and the sampled profile;
* ``beyond_horizon`` (V3): the multi-step IDM across k and the action persistence psi, and the FDM's
  two targets;
* ``beyond_held_back``: settings declared before any run and used for nothing but the theory check;
* ``beyond_remedies``: the paper's remedies (labels, augmentation, the difference IDM, A = I) on a
  frozen map that fails alone;
* ``beyond_tau``: LAOM's recipe (EMA target, state input cut) across the EMA rate tau.

Each writes NAME.npz (every metric at the end of training, [*axes, seed]) and NAME_readings.npz (the
read metrics and the encoder's diagnostics at the reading points, [*axes, reading, seed]).
"""
from __future__ import annotations

import dataclasses
import itertools
from typing import Optional

import numpy as np

from experiments.runner import Job
from lamsim.linear.settings import Setting
from lamsim.linear.sweep import Axis
from lamsim.linear.window import environment, window
from lamsim.linear.window_eval import ENCODER_METRICS, READ_METRICS, THEORY_METRICS, run_settings
from lamsim.linear.window_train import shape_of
from lamsim.runtime.results import Results

#: Readings per run (equal parts of its steps; the last at the end).
READINGS = 4
#: Adam steps per profile (lamsim.linear.train.learning_rate gives the schedules).
STEPS = {"exact": 2000, "fast": 4000, "faithful": 10000}
PAPER_BACKGROUNDS = (("iid 0.5", {"noise": "iid", "sigma": 0.5}), ("exo 0.5", {"noise": "exo", "sigma": 0.5}),
                     ("exo 1.5", {"noise": "exo", "sigma": 1.5}),
                     ("state 3", {"noise": "exo-state", "sigma": 3.0, "rho": 0.9}))


def _axis(name: str, rows) -> Axis:
    return Axis(name, tuple(n for n, _ in rows), tuple(f for _, f in rows))


BACKGROUND = _axis("background", PAPER_BACKGROUNDS)
#: The backgrounds of V2 and V3: one where pixels hold the action, two where they do not.
HARD_BACKGROUND = _axis("background", [PAPER_BACKGROUNDS[i] for i in (0, 2, 3)])


@dataclasses.dataclass(frozen=True)
class WindowPanel:
    """A grid of window-trainer settings: ``base`` with each combination of ``axes`` applied."""

    name: str
    claim: str
    base: Setting
    axes: tuple
    default_seeds: int = 2
    step_table: dict = dataclasses.field(default_factory=lambda: dict(STEPS))

    def settings(self, profile: str, steps: Optional[int]) -> list:
        base = self.base.replace(profile=profile, steps=steps or self.step_table[profile])
        out = []
        for combo in itertools.product(*(a.overrides for a in self.axes)):
            fields = {k: v for o in combo for k, v in o.items()}
            if "profile" in fields and "steps" not in fields:
                fields["steps"] = self.step_table[fields["profile"]]
            out.append(base.replace(**fields))
        return out

    def plan(self, profile: str = "exact", seeds: int = 2, quick: bool = False, steps: Optional[int] = None,
             **_) -> dict:
        """The run's size without training (``quick`` has no reduced grid here: the grid is small)."""
        settings = self.settings(profile, steps)
        groups = {}
        for s in settings:
            groups.setdefault(shape_of(s, window(s, environment(s, 0))), []).append(s)
        return {"trained_settings": len(settings), "seeds": seeds, "compiled_programs": len(groups),
                "chunks": len(groups), "config_steps": seeds * sum(s.train_steps for s in settings),
                "groups": [{"settings": len(members), "steps": shape.steps, "runs": len(members) * seeds}
                           for shape, members in groups.items()]}

    def job(self, profile: str = "exact", seeds: int = 2, quick: bool = False, steps: Optional[int] = None,
            **_) -> Job:
        if profile not in self.step_table:
            raise ValueError(f"profile={profile!r} is invalid: must be one of {', '.join(self.step_table)}")
        settings = self.settings(profile, steps)
        config = {"name": self.name, "profile": profile, "seeds": seeds, "steps": settings[0].train_steps,
                  "readings": READINGS, "base": self.base.to_dict(),
                  "axes": [{"name": a.name, "values": list(a.values), "overrides": list(a.overrides)}
                           for a in self.axes]}

        def execute(stream):
            res = run_settings(settings, range(seeds), readings=READINGS,
                               log=lambda m: print(f"[{self.name}] {m}", file=stream))
            shape = tuple(len(a.values) for a in self.axes)
            dims = tuple(a.name for a in self.axes)
            coords = {a.name: np.asarray(a.values) for a in self.axes}
            coords["seed"] = np.arange(seeds)
            final = {m: res[m][..., -1].reshape(shape + (seeds,)) for m in READ_METRICS + ENCODER_METRICS}
            final.update({m: res[m].reshape(shape + (seeds,)) for m in THEORY_METRICS + ("llo_drift",)})
            curve = {m: np.swapaxes(res[m], 1, 2).reshape(shape + (READINGS, seeds))
                     for m in READ_METRICS + ENCODER_METRICS}
            points = [settings[0].train_steps * (p + 1) // READINGS for p in range(READINGS)]
            meta = {"claim": self.claim, "wall_s": res["wall_s"]}
            return {self.name: Results(final, dims + ("seed",), coords, meta),
                    f"{self.name}_readings": Results(curve, dims + ("reading", "seed"),
                                                     {**coords, "reading": np.asarray(points)}, meta)}

        return Job(config, (self.name, f"{self.name}_readings"), execute)


FEATURES = _axis("features", [("pixels", {})] + [
    (f"agent {g:g}", {"features": "agent", "gamma": g}) for g in (0.0, 0.5, 0.6, 0.7, 0.8)] + [
    (f"random {r}", {"features": "random", "d_r": r}) for r in (16, 32, 64, 128)])
FEATURES_PANEL = WindowPanel(
    "beyond_features", "V1: a frozen feature map: the LAM is PCA in feature space",
    Setting(d_a=8, d_b=8, d_z=8), (FEATURES, BACKGROUND))

_LAOM = {"tau": 0.01, "state_input": "stop"}
VARIANT = _axis("variant", [
    ("none", {"target": "none"}), ("stop-gradient", {"tau": 1.0}), ("ema", {"tau": 0.01}), ("laom", _LAOM),
    ("ema + wd", {"tau": 0.01, "weight_decay": 0.1}), ("laom + wd", {**_LAOM, "weight_decay": 0.1}),
    ("laom + labels", {**_LAOM, "label_rate": 0.01}), ("laom + wd + labels", {**_LAOM, "weight_decay": 0.1,
                                                                               "label_rate": 0.01})])
PROFILE = _axis("profile", [("exact", {"profile": "exact"}), ("fast", {"profile": "fast"})])
ENCODER_PANEL = WindowPanel(
    "beyond_encoder", "V2: a learned encoder against a slow target: where does it go, and what does z hold?",
    Setting(d_a=8, d_b=8, d_z=8, features="learned", d_r=32), (VARIANT, HARD_BACKGROUND, PROFILE))

WINDOW = _axis("window", [("k1", {})] + [
    (f"k{k} psi{p:g}", {"idm_horizon": k, "action_persistence": p})
    for k, ps in ((2, (0.0, 0.9)), (4, (0.0, 0.5, 0.9, 0.95)), (8, (0.0, 0.9, 0.95))) for p in ps] + [
    (f"k4 psi{p:g} last", {"idm_horizon": 4, "action_persistence": p, "fdm_target": "last"}) for p in (0.0, 0.95)])
HORIZON_PANEL = WindowPanel(
    "beyond_horizon", "V3: a multi-step IDM is a reduced-rank regression on the summed change",
    Setting(d_a=8, d_b=8, d_z=8), (WINDOW, HARD_BACKGROUND))

#: Declared with the predictions (docs/method.md Sec. 18.3), before any run: only the theory check reads them.
HELD_BACK = _axis("case", [
    ("agent 0.3, exo 1.5, d_z 12", {"features": "agent", "gamma": 0.3, "noise": "exo", "sigma": 1.5, "d_z": 12}),
    ("random 48, iid 1, d_z 4", {"features": "random", "d_r": 48, "noise": "iid", "sigma": 1.0, "d_z": 4}),
    ("k3 psi0.7, exo 1", {"idm_horizon": 3, "action_persistence": 0.7, "noise": "exo", "sigma": 1.0}),
    ("k6 psi0.8, state 2 rho 0.5", {"idm_horizon": 6, "action_persistence": 0.8, "noise": "exo-state",
                                    "sigma": 2.0, "rho": 0.5}),
    ("agent 0.9 k2 psi0.5, exo 1.2", {"features": "agent", "gamma": 0.9, "idm_horizon": 2,
                                      "action_persistence": 0.5, "noise": "exo", "sigma": 1.2}),
    ("random 24, A = I, state 3", {"features": "random", "d_r": 24, "learn_a": False, "noise": "exo-state",
                                   "sigma": 3.0, "rho": 0.9}),
    ("agent 0.5, difference IDM, exo 1.5", {"features": "agent", "gamma": 0.5, "idm": "difference", "noise": "exo",
                                            "sigma": 1.5}),
    ("k4 psi0.9 last, A = I, iid 0.5", {"idm_horizon": 4, "action_persistence": 0.9, "fdm_target": "last",
                                        "learn_a": False, "noise": "iid", "sigma": 0.5})])
HELD_BACK_PANEL = WindowPanel(
    "beyond_held_back", "V1 and V3 on settings held back from every other panel", Setting(d_a=8, d_b=8, d_z=8),
    (HELD_BACK,))

#: The paper's remedies on a frozen map that fails alone (other agents 1.5), declared with R6 (method.md Sec. 18.3).
REMEDY = _axis("remedy", [("none", {}), ("1% labels", {"label_rate": 0.01}), ("augmentation", {"kappa": 0.1}),
                          ("difference IDM", {"idm": "difference"}), ("A = I", {"learn_a": False})])
MAP = _axis("features", [("agent 0.8", {"features": "agent", "gamma": 0.8}),
                         ("random 32", {"features": "random", "d_r": 32})])
REMEDIES_PANEL = WindowPanel(
    "beyond_remedies", "V1 with the paper's remedies: labels, augmentation, the difference IDM, A = I",
    Setting(d_a=8, d_b=8, d_z=8, noise="exo", sigma=1.5), (REMEDY, MAP))

#: LAOM's recipe across the EMA rate, declared with R7 (method.md Sec. 18.6): tau is traced, so each background
#: is one compiled program.
TAU = _axis("tau", [(f"{t:g}", {"tau": t}) for t in (0.001, 0.01, 0.1, 1.0)])
TAU_PANEL = WindowPanel(
    "beyond_tau", "V2: LAOM's recipe across the EMA rate tau",
    Setting(d_a=8, d_b=8, d_z=8, features="learned", d_r=32, state_input="stop"), (TAU, HARD_BACKGROUND))

PANELS = {p.name: p for p in (FEATURES_PANEL, ENCODER_PANEL, HORIZON_PANEL, HELD_BACK_PANEL, REMEDIES_PANEL,
                              TAU_PANEL)}

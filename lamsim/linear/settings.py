"""One validated description of a linear-LAM run (paper Sec. 3.2, 4; docs/method.md).

A :class:`Setting` is frozen and checked once, where it is built: every
invalid value raises :class:`~lamsim.errors.InputError` (a ``ValueError``) naming
the field, the value and what is allowed. Numbers may be Python or numpy numbers
or 0-d arrays; they are stored as plain ``int`` and ``float``. Nothing deeper in
the library re-checks.
"""
from __future__ import annotations

import dataclasses
from typing import Optional

from lamsim.errors import SEED_LIMIT, STEP_LIMIT, fail as _fail, integer, plain, real

NOISE_KINDS = ("none", "iid", "exo", "exo-state")
#: Beyond the paper: exogenous *state* (``exo-state``), d_b directions P_e orthogonal to X that
#: persist and evolve as an AR(1) (lamsim/linear/state.py, docs/method.md). Only it has ``rho``
#: and the reconstruction mask; it is read with exact interventional probes only.
STATE_NOISE = "exo-state"
#: The distribution of i.i.d. noise: ``gaussian`` (sigma N(0, 1) per coordinate, paper Sec. 4.1) or
#: ``uniform`` (sigma U[0, 1) per coordinate, mean sigma/2: the authors' Figure 4 middle script).
NOISE_DISTS = ("gaussian", "uniform")
#: What a probe reads: the true latent z = C o + D o', the surrogate B^+ (o'_hat - o) (d_z
#: coordinates), or the unprojected o'_hat - o (d_o coordinates, the authors' Figure 4 left script).
LATENTS = ("true", "surrogate", "unprojected")
#: Training profiles: ``faithful`` (the paper's optimiser on samples),
#: ``fast`` (a cosine schedule on samples), ``exact`` (Adam on the closed-form
#: expected loss, no samples). docs/method.md defines them.
PROFILES = ("exact", "fast", "faithful", "faithful-exact")
#: How the probes are fitted: on data where the action varies on its own
#: (``interventional``), or on the training distribution and then scored on the
#: interventional one (``policy-fit``, the paper's released chi script), or on the
#: training distribution and scored where o' holds no noise, the noise target a fresh
#: draw (``noise-free``, the authors' Figure 3 middle script).
PROBES = ("interventional", "policy-fit", "noise-free")
#: How the probes are estimated: ``exact`` (the closed-form population ridge least-squares
#: probe, ours) or ``paper`` (linear probes with bias trained the authors' way: Adam 1e-3,
#: batch 128, their step count, on samples; scored exactly). lamsim/linear/paper_probes.py.
READINGS = ("exact", "paper")
#: What the action probe predicts: the action a, or X^+ (q + eps) (``subspace``:
#: noise inside the action subspace counts as action).
ACTION_TARGETS = ("action", "subspace")
#: The per-step data stream's normal generator: a counter hash (fast on CPU) or
#: ``jax.random.normal`` (threefry).
STREAMS = ("hash", "jax")
#: What the IDM sees: ``full`` (z = C o + D o', paper Sec. 3.2) or ``difference`` (z = C (o' - o),
#: the authors' scripts with C + D = 0: D is tied to -C and stored as a [0, 0] array).
IDMS = ("full", "difference")
#: Fields that hold a name from a list (numpy strings are stored as plain ``str``).
CHOICE_FIELDS = ("noise", "latent", "obs_latent", "profile", "probe", "action_target", "stream", "noise_dist",
                 "reading", "idm")
#: Fields that choose how a trained model is read, not how it is trained.
EVALUATION_FIELDS = ("latent", "obs_latent", "probe", "action_target", "reading")

#: Adam steps of a profile when a run does not say (the experiments set every
#: panel's count explicitly, in experiments/runner.py).
DEFAULT_STEPS = {"exact": 2000, "fast": 4000, "faithful": 10000, "faithful-exact": 10000}


@dataclasses.dataclass(frozen=True)
class Setting:
    """A single linear-LAM run: data, model sizes, regularisers, optimiser profile.

    Fields follow docs/method.md. ``sigma`` is the noise scale of the chosen
    ``noise`` kind (sigma_iid for ``iid``, sigma_exo for ``exo``; must be 0 for
    ``none``). ``kappa`` is the augmentation strength |kappa| (0 = off),
    ``label_rate`` the share lambda of samples carrying their action label,
    ``chi`` the policy's determinism. ``steps=None`` takes the profile default.
    ``probe``, ``action_target``, ``obs_latent`` (the latent the o and noise
    probes read; None: ``latent``) and ``reading`` (how the probes are
    estimated) choose the evaluation protocol (they do not change training);
    ``stream`` the data stream's normal generator. ``learn_a=False`` fixes the
    FDM's A to I (the authors' Figure 3 scripts); ``noise_dist`` is the i.i.d.
    noise's distribution; ``idm`` what the IDM sees (:data:`IDMS`; it changes
    training and the parameters' shapes).
    """

    d_o: int = 128
    d_a: int = 8
    d_z: int = 8
    d_b: int = 8
    noise: str = "none"
    sigma: float = 0.0
    chi: float = 0.0
    kappa: float = 0.0
    label_rate: float = 0.0
    latent: str = "surrogate"
    profile: str = "exact"
    steps: Optional[int] = None
    batch: int = 128
    seed: int = 0
    probe: str = "interventional"
    action_target: str = "action"
    stream: str = "hash"
    learn_a: bool = True
    noise_dist: str = "gaussian"
    obs_latent: Optional[str] = None
    reading: str = "exact"
    idm: str = "full"
    rho: float = 1.0
    mask_weight: float = 1.0
    mask_cover: Optional[int] = None
    mask_leak: int = 0

    def __post_init__(self):
        for name in ("d_o", "d_a", "d_z", "d_b", "batch"):
            object.__setattr__(self, name, integer(name, getattr(self, name), 1))
        for name in CHOICE_FIELDS:
            object.__setattr__(self, name, plain(getattr(self, name)))
        for name in ("d_a", "d_z", "d_b"):
            if getattr(self, name) > self.d_o:
                _fail(name, getattr(self, name), f"must be <= d_o={self.d_o}")
        if self.noise not in NOISE_KINDS:
            _fail("noise", self.noise, f"must be one of {', '.join(NOISE_KINDS)}")
        for name in ("sigma", "chi", "kappa", "label_rate"):
            object.__setattr__(self, name, real(name, getattr(self, name)))
        if self.sigma < 0:
            _fail("sigma", self.sigma, "must be >= 0")
        if self.noise == "none" and self.sigma != 0:
            _fail("sigma", self.sigma, "must be 0 when noise='none' (choose noise='iid' or 'exo')")
        if not 0 <= self.chi <= 1:
            _fail("chi", self.chi, "must lie in [0, 1]")
        if self.kappa < 0:
            _fail("kappa", self.kappa, "must be >= 0 (it is the strength |kappa|)")
        if not 0 <= self.label_rate <= 1:
            _fail("label_rate", self.label_rate, "must lie in [0, 1]")
        if self.latent not in LATENTS:
            _fail("latent", self.latent, f"must be one of {', '.join(LATENTS)}")
        if self.obs_latent is not None and self.obs_latent not in LATENTS:
            _fail("obs_latent", self.obs_latent, f"must be None or one of {', '.join(LATENTS)}")
        if not isinstance(self.learn_a, bool):
            _fail("learn_a", self.learn_a, "must be True (A learned) or False (A fixed to I)")
        for name, allowed in (("profile", PROFILES), ("probe", PROBES), ("action_target", ACTION_TARGETS),
                              ("stream", STREAMS), ("noise_dist", NOISE_DISTS), ("reading", READINGS),
                              ("idm", IDMS)):
            if getattr(self, name) not in allowed:
                _fail(name, getattr(self, name), f"must be one of {', '.join(allowed)}")
        if self.noise_dist == "uniform" and self.noise in ("exo", STATE_NOISE):
            _fail("noise_dist", self.noise_dist, f"'uniform' is a distribution of i.i.d. noise, not of noise={self.noise!r}")
        self._check_state()
        if self.steps is not None:
            object.__setattr__(self, "steps", integer("steps", self.steps, 1, STEP_LIMIT - 1,
                                                      "must be None or an integer in [1, 2**31) (steps count in int32)"))
        object.__setattr__(self, "seed", integer("seed", self.seed, 0, SEED_LIMIT - 1,
                                                 "must be an integer in [0, 2**31) (a jax.random key)"))
        if self.stream == "hash" and (self.d_o + 1) // 2 * self.batch > 2 ** 31:
            _fail("batch", self.batch, f"batch * ceil(d_o / 2) must be <= 2**31 with stream='hash', whose draws "
                                       f"are numbered by 32-bit counters (d_o={self.d_o}; or stream='jax')")

    def _check_state(self):
        """The exogenous-state fields: one-line errors naming the field (called once, by __post_init__)."""
        object.__setattr__(self, "rho", real("rho", self.rho))
        object.__setattr__(self, "mask_weight", real("mask_weight", self.mask_weight))
        if not -1 < self.rho <= 1:
            _fail("rho", self.rho, "must lie in (-1, 1] (the exogenous state's persistence; 1: frozen)")
        if not 0 <= self.mask_weight <= 1:
            _fail("mask_weight", self.mask_weight, "must lie in [0, 1] (the loss weight of the masked "
                                                   "directions; 1: no mask, 0: a perfect mask)")
        if self.mask_cover is not None:
            object.__setattr__(self, "mask_cover", integer("mask_cover", self.mask_cover, 0, self.d_b,
                                                           f"must be None (all d_b) or an integer in [0, d_b={self.d_b}]"))
        object.__setattr__(self, "mask_leak", integer("mask_leak", self.mask_leak, 0, self.d_a,
                                                      f"must be an integer in [0, d_a={self.d_a}]"))
        if self.noise != STATE_NOISE:
            for name, default in (("rho", 1.0), ("mask_weight", 1.0), ("mask_cover", None), ("mask_leak", 0)):
                if getattr(self, name) != default:
                    _fail(name, getattr(self, name), f"must stay {default} unless noise='{STATE_NOISE}'")
            return
        if self.sigma <= 0:
            _fail("sigma", self.sigma, f"must be > 0 with noise='{STATE_NOISE}' (the background's amplitude)")
        if self.d_a + self.d_b > self.d_o:
            _fail("d_b", self.d_b, f"d_a + d_b must be <= d_o={self.d_o} with noise='{STATE_NOISE}' (the "
                                   f"exogenous directions lie in the complement of the d_a={self.d_a} action ones)")
        for name, allowed in (("probe", "interventional"), ("action_target", "action"), ("reading", "exact")):
            if getattr(self, name) != allowed:
                _fail(name, getattr(self, name), f"must be '{allowed}' with noise='{STATE_NOISE}'")
        if self.latent == "unprojected" or self.obs_latent not in (None, self.latent):
            _fail("latent", self.latent, f"must be 'true' or 'surrogate', read by every probe, with "
                                         f"noise='{STATE_NOISE}'")
        if self.profile == "faithful-exact":
            _fail("profile", self.profile, f"must be exact, fast or faithful with noise='{STATE_NOISE}'")

    @property
    def mask_active(self) -> bool:
        """Whether the loss is weighted (a mask that down-weights at least one direction)."""
        return self.mask_weight < 1 and (self.mask_cover != 0 or self.mask_leak > 0)

    @property
    def sigma_state(self) -> float:
        return self.sigma if self.noise == STATE_NOISE else 0.0

    @property
    def train_steps(self) -> int:
        """Adam steps: ``steps`` if given, else the profile's default."""
        return DEFAULT_STEPS[self.profile] if self.steps is None else self.steps

    @property
    def sigma_iid(self) -> float:
        return self.sigma if self.noise == "iid" else 0.0

    @property
    def sigma_exo(self) -> float:
        return self.sigma if self.noise == "exo" else 0.0

    @property
    def probe_latent(self) -> str:
        """The latent the o and noise probes read."""
        return self.latent if self.obs_latent is None else self.obs_latent

    def training(self) -> "Setting":
        """This setting with its evaluation fields at their defaults: settings
        with the same ``training()`` train identically (a sweep trains them once)."""
        return self.replace(**{f: Setting.__dataclass_fields__[f].default for f in EVALUATION_FIELDS})

    def replace(self, **changes) -> "Setting":
        """A copy with ``changes`` applied (and validated)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

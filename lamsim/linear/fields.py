"""The one table of a linear-LAM run's fields (paper Sec. 3.2, 4; docs/method.md): for each field
its name, type and default, what values it allows, its role in training and its command-line flag
and help. :class:`~lamsim.linear.settings.Setting` is built from it and checks each value with it;
the trainer's grouping (:func:`~lamsim.linear.train.group_key`, ``group_shape``, ``knobs_of``) and
``python -m lamsim run``/``sweep``'s flags are derived from it. A new field is one entry here, the
code that uses it, and its tests.

Roles:

- ``shape``: static; settings that differ in it train in different compiled programs;
- ``padded``: a size that settings of one program share at its largest, each masked to its own;
- ``knob``: a number traced and vmapped inside one program (:class:`~lamsim.linear.model.Knobs`);
- ``evaluation``: how a trained model is read, not how it trains (settings that differ only in these
  train once);
- ``run``: the seed.
"""
from __future__ import annotations

from typing import Callable, NamedTuple, Optional

from lamsim.errors import SEED_LIMIT, STEP_LIMIT, fail, integer, plain, real

SHAPE, PADDED, KNOB, EVALUATION, RUN = "shape", "padded", "knob", "evaluation", "run"
ROLES = (SHAPE, PADDED, KNOB, EVALUATION, RUN)

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
#: Training profiles: ``faithful`` (the paper's optimiser on samples), ``fast`` (a cosine schedule on
#: samples), ``exact`` (Adam on the closed-form expected loss, no samples), ``faithful-exact`` (the
#: paper's Adam on the expected loss, fed the batch gradient's variance). docs/method.md defines them.
PROFILES = ("exact", "fast", "faithful", "faithful-exact")
#: How the probes are fitted: on data where the action varies on its own (``interventional``), or
#: on the training distribution and then scored on the interventional one (``policy-fit``, the
#: paper's released chi script), or on the training distribution and scored where o' holds no
#: noise, the noise target a fresh draw (``noise-free``, the authors' Figure 3 middle script).
PROBES = ("interventional", "policy-fit", "noise-free")
#: How the probes are estimated: ``exact`` (the closed-form population ridge least-squares probe,
#: ours) or ``paper`` (linear probes with bias trained the authors' way: Adam 1e-3, batch 128, their
#: step count, on samples; scored exactly). lamsim/linear/paper_probes.py.
READINGS = ("exact", "paper")
#: What the action probe predicts: the action a, or X^+ (q + eps) (``subspace``: noise inside the
#: action subspace counts as action).
ACTION_TARGETS = ("action", "subspace")
#: The per-step data stream's normal generator: a counter hash (fast on CPU) or ``jax.random.normal``.
STREAMS = ("hash", "jax")
#: What the IDM sees: ``full`` (z = C o + D o', paper Sec. 3.2) or ``difference`` (z = C (o' - o),
#: the authors' scripts with C + D = 0: D is tied to -C and stored as a [0, 0] array).
IDMS = ("full", "difference")
#: Beyond pixels (docs/method.md Sec. 18): what the LAM reads and predicts. ``identity``: pixels (the
#: paper); ``random``: a frozen Gaussian map F [d_r, d_o] (rows / sqrt(d_o), drawn from the seed);
#: ``agent``: F = P_X + gamma (I - P_X) (a representation focused on the agent, gamma its leak);
#: ``learned``: an encoder W [d_r, d_o] trained with the LAM against a slow target (``target``).
FEATURES = ("identity", "random", "agent", "learned")
#: A learned encoder's target: an EMA copy W_bar of W under stop-gradient (``ema``, tau 1: W itself
#: under stop-gradient), or W o' itself with its gradient (``none``: the collapse control).
TARGETS = ("ema", "none")
#: The FDM's state input W o: in the gradient (``grad``) or cut from it (``stop``, LAOM).
STATE_INPUTS = ("grad", "stop")
#: A multi-step IDM's FDM target: o_{t+1} (``next``, LAOM) or o_{t+k} (``last``, UniVLA).
FDM_TARGETS = ("next", "last")


class Field(NamedTuple):
    """One field of a run: ``kind`` one of int, float, str, bool (``optional``: None allowed);
    ``check(name, value, setting) -> value`` refuses a bad value with one line naming the field
    (:class:`~lamsim.errors.InputError`), the fields above it already checked; ``role`` one of
    :data:`ROLES`; ``flag`` the command line's option (``--a-fixed`` stores False in ``learn_a``);
    ``help`` its help text; ``knobs(setting) -> {knob: value}``: what a ``knob`` or ``padded`` field
    puts in :class:`~lamsim.linear.model.Knobs` (None: itself, under its own name)."""

    name: str
    kind: type
    default: object
    check: Callable
    role: str
    flag: str
    help: str
    optional: bool = False
    knobs: Optional[Callable] = None

    def knob_values(self, setting) -> dict:
        """This field's entries of :class:`~lamsim.linear.model.Knobs` for ``setting``."""
        return {self.name: getattr(setting, self.name)} if self.knobs is None else self.knobs(setting)

    @property
    def annotation(self) -> str:
        return f"Optional[{self.kind.__name__}]" if self.optional else self.kind.__name__


# ---------------------------------------------------------------- checks

def at_least(low: int) -> Callable:
    """An integer >= ``low``."""
    return lambda name, value, s: integer(name, value, low)


def size(low: int = 1, within: str = "d_o") -> Callable:
    """An integer >= ``low`` and <= the already-checked field ``within``."""
    def check(name, value, s):
        value = integer(name, value, low)
        if value > getattr(s, within):
            fail(name, value, f"must be <= {within}={getattr(s, within)}")
        return value
    return check


def number(low: Optional[float] = None, high: Optional[float] = None, open_low: bool = False,
           why: str = "") -> Callable:
    """A finite float in the range (``open_low``: above ``low``, not at it); ``why`` ends the message."""
    def check(name, value, s):
        value = real(name, value)
        below = low is not None and (value <= low if open_low else value < low)
        if below or (high is not None and value > high):
            if high is None:
                allowed = f"must be >= {low:g}"
            else:
                allowed = f"must lie in {'(' if open_low else '['}{low:g}, {high:g}]"
            fail(name, value, allowed + (f" {why}" if why else ""))
        return value
    return check


def choice(options: tuple, optional: bool = False) -> Callable:
    """One of ``options`` (numpy strings stored as plain ``str``); ``optional``: None allowed."""
    def check(name, value, s):
        value = plain(value)
        if optional and value is None:
            return None
        if value not in options:
            fail(name, value, f"must be {'None or ' if optional else ''}one of {', '.join(options)}")
        return value
    return check


def flag(allowed: str) -> Callable:
    """True or False (numpy bools refused: ``allowed`` says what each means)."""
    def check(name, value, s):
        if not isinstance(value, bool):
            fail(name, value, allowed)
        return value
    return check


def _steps(name, value, s):
    if value is None:
        return None
    return integer(name, value, 1, STEP_LIMIT - 1, "must be None or an integer in [1, 2**31) (steps count in int32)")


def _seed(name, value, s):
    return integer(name, value, 0, SEED_LIMIT - 1, "must be an integer in [0, 2**31) (a jax.random key)")


def _mask_cover(name, value, s):
    if value is None:
        return None
    return integer(name, value, 0, s.d_b, f"must be None (all d_b) or an integer in [0, d_b={s.d_b}]")


def _d_r(name, value, s):
    if value is None:
        return None
    return integer(name, value, s.d_z, None, f"must be None (d_o) or an integer >= d_z={s.d_z}")


def _persistence(name, value, s):
    value = real(name, value)
    if not 0.0 <= value < 1.0:
        fail(name, value, "must lie in [0, 1) (the action's AR(1) persistence psi; 0: the paper)")
    return value


def _mask_leak(name, value, s):
    return integer(name, value, 0, s.d_a, f"must be an integer in [0, d_a={s.d_a}]")


# ---------------------------------------------------------------- the table

FIELDS = (
    Field("d_o", int, 128, at_least(1), SHAPE, "--d-o", "observation size d_o"),
    Field("d_a", int, 8, size(), PADDED, "--d-a", "action size d_a"),
    Field("d_z", int, 8, size(), PADDED, "--d-z", "latent size d_z"),
    Field("d_b", int, 8, size(), SHAPE, "--d-b", "other agents' (or exogenous state's) size d_b"),
    Field("noise", str, "none", choice(NOISE_KINDS), KNOB, "--noise",
          "none | iid | exo | exo-state (exogenous state, --rho)", knobs=lambda s: {}),
    Field("sigma", float, 0.0, number(0.0), KNOB, "--sigma", "noise scale of the chosen kind",
          knobs=lambda s: {"sigma_iid": s.sigma_iid, "sigma_exo": s.sigma_exo, "sigma_state": s.sigma_state}),
    Field("chi", float, 0.0, number(0.0, 1.0), KNOB, "--chi", "policy determinism in [0, 1]"),
    Field("kappa", float, 0.0, number(0.0, why="(it is the strength |kappa|)"), KNOB, "--kappa",
          "augmentation strength |kappa|"),
    Field("label_rate", float, 0.0, number(0.0, 1.0), KNOB, "--label-rate", "share of labelled samples in [0, 1]"),
    Field("latent", str, "surrogate", choice(LATENTS), EVALUATION, "--latent",
          "true | surrogate | unprojected (o'_hat - o)"),
    Field("profile", str, "exact", choice(PROFILES), SHAPE, "--profile",
          "exact (default) | fast | faithful | faithful-exact (the paper's Adam 1e-3 on the expected loss)"),
    Field("steps", int, None, _steps, SHAPE, "--steps", "Adam steps (default: the profile's)", optional=True),
    Field("batch", int, 128, at_least(1), SHAPE, "--batch", "samples per Adam step (exact profiles: the label weight)"),
    Field("seed", int, 0, _seed, RUN, "--seed", "first seed"),
    Field("probe", str, "interventional", choice(PROBES), EVALUATION, "--probe",
          "interventional | policy-fit (probes fitted on the training policy's data, scored on intervened "
          "actions) | noise-free (fitted with noise, scored without)"),
    Field("action_target", str, "action", choice(ACTION_TARGETS), EVALUATION, "--action-target",
          "action | subspace (the action probe predicts a + X^T eps)"),
    Field("stream", str, "hash", choice(STREAMS), SHAPE, "--stream",
          "hash (a counter hash, fast on CPU) | jax (jax.random.normal): the data stream's normals"),
    Field("learn_a", bool, True, flag("must be True (A learned) or False (A fixed to I)"), SHAPE, "--a-fixed",
          "fix the FDM's A to I (the authors' Figure 3 scripts)"),
    Field("noise_dist", str, "gaussian", choice(NOISE_DISTS), SHAPE, "--noise-dist",
          "gaussian | uniform (i.i.d. noise sigma U[0, 1))"),
    Field("obs_latent", str, None, choice(LATENTS, optional=True), EVALUATION, "--obs-latent",
          "the latent the o and noise probes read (default: --latent)", optional=True),
    Field("reading", str, "exact", choice(READINGS), EVALUATION, "--reading",
          "exact (closed-form probes) | paper (probes with bias trained by Adam, the authors' way)"),
    Field("idm", str, "full", choice(IDMS), SHAPE, "--idm", "full (z = C o + D o') | difference (z = C (o' - o))"),
    Field("rho", float, 1.0, number(-1.0, 1.0, open_low=True, why="(the exogenous state's persistence; 1: frozen)"),
          KNOB, "--rho", "exo-state: the exogenous state's persistence in (-1, 1] (1: frozen)"),
    Field("mask_weight", float, 1.0, number(0.0, 1.0, why="(the loss weight of the masked directions; 1: no mask, 0: "
                                                          "a perfect mask)"),
          KNOB, "--mask-weight", "exo-state: the loss weight beta of the masked directions in [0, 1] (1: no mask)"),
    Field("mask_cover", int, None, _mask_cover, KNOB, "--mask-cover",
          "exo-state: how many of the d_b exogenous directions the mask covers (default all)", optional=True,
          knobs=lambda s: {"mask_cover": s.d_b if s.mask_cover is None else s.mask_cover}),
    Field("mask_leak", int, 0, _mask_leak, KNOB, "--mask-leak",
          "exo-state: how many of the d_a action directions the mask also covers (default 0)"),
    Field("features", str, "identity", choice(FEATURES), SHAPE, "--features",
          "identity (pixels) | random | agent | learned: what the IDM reads and the FDM predicts"),
    Field("gamma", float, 1.0, number(0.0, 1.0), SHAPE, "--gamma",
          "features=agent: the leak gamma in [0, 1] of F = P_X + gamma (I - P_X)"),
    Field("d_r", int, None, _d_r, SHAPE, "--d-r", "features=random|learned: the feature size d_r (default d_o)",
          optional=True),
    Field("target", str, "ema", choice(TARGETS), SHAPE, "--target",
          "features=learned: ema (stop-gradient EMA copy) | none (W o' with its gradient)"),
    Field("tau", float, 0.01, number(0.0, 1.0, open_low=True), SHAPE, "--tau",
          "features=learned: the EMA rate tau in (0, 1] per update (1: stop-gradient on W)"),
    Field("state_input", str, "grad", choice(STATE_INPUTS), SHAPE, "--state-input",
          "features=learned: the FDM's input W o in the gradient (grad) or cut from it (stop, LAOM)"),
    Field("weight_decay", float, 0.0, number(0.0), SHAPE, "--weight-decay",
          "features=learned: decoupled weight decay on the encoder W (AdamW)"),
    Field("idm_horizon", int, 1, at_least(1), SHAPE, "--idm-horizon",
          "the IDM reads (o_t, o_{t+k}): the horizon k >= 1 (1: the paper)"),
    Field("action_persistence", float, 0.0, _persistence, SHAPE, "--action-persistence",
          "idm_horizon > 1: the actions' AR(1) persistence psi in [0, 1)"),
    Field("fdm_target", str, "next", choice(FDM_TARGETS), SHAPE, "--fdm-target",
          "idm_horizon > 1: the FDM predicts o_{t+1} (next, LAOM) or o_{t+k} (last, UniVLA)"),
)
BY_NAME = {f.name: f for f in FIELDS}
#: Fields that choose how a trained model is read, not how it is trained.
EVALUATION_FIELDS = tuple(f.name for f in FIELDS if f.role == EVALUATION)
#: Fields that hold a name from a list.
CHOICE_FIELDS = tuple(f.name for f in FIELDS if f.kind is str)

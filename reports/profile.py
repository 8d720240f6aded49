"""Rows P: what the default training profiles license, judged on the profile check's cases
(declared with the experiment, :mod:`experiments.profile_check`).

- **P (verdicts)**: on every case that carries a claim's verdict, the ``exact`` and ``fast``
  profiles give the ``faithful`` profile's verdict (Adam 1e-3 on sampled batches; 10,000 steps for
  Figure 3, 40,000 for Figure 4). This is what lets the claims rest on the exact profile.
- **P (LLO)**: on every case, the LLO within 0.05 of the faithful one where both runs converged
  (|llo_drift| <= 0.01 in every seed; the others are left out and named).

Where sampled training departs from the expected loss is a finding, listed by
:func:`departures`: on nearly flat directions of the loss (weak augmentation, spare latent
coordinates, ties between action and noise variance) the batch noise of sampled training moves
the parameters where no deterministic trajectory goes (docs/method.md, Sec. 12).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

from experiments.profile_check import PROFILE_CASES, REFERENCE
from lamsim.linear.evaluate import CONVERGED_DRIFT
from lamsim.runtime.results import Results
from reports.checks import (AUGMENTED_LLO, CONTRADICTED, EXO2_LLO, HOLDS, IDEAL_LLO, LABELLED_LLO, LLO_TOLERANCE,
                            PROFILE_TOLERANCE, Check, ClaimError, Point, bound, grid)


class Rule(NamedTuple):
    """The claim a case's verdict belongs to, in words, and the verdict on the seed means ``m``
    (llo, theory_llo)."""

    text: str
    holds: Callable[[dict], bool]


#: The claims' verdicts on the profile check's cases (the others are compared on the LLO only).
#: The policy-fit case carries none: read interventionally its probes leave the LLO's range
#: [-1, 2] (reports/linear.py, C5).
RULES = {
    "no noise, d_z 4": Rule(f"C2: |LLO - 1.5| <= {LLO_TOLERANCE:g}", lambda m: abs(m["llo"] - 1.5) <= LLO_TOLERANCE),
    "no noise, d_z 8": Rule(f"C2: LLO >= {IDEAL_LLO:g}", lambda m: m["llo"] >= IDEAL_LLO),
    "iid 0.5, d_z 8": Rule(f"C3: |LLO - theory| <= {LLO_TOLERANCE:g}",
                           lambda m: abs(m["llo"] - m["theory_llo"]) <= LLO_TOLERANCE),
    "exo 2, d_z 8": Rule(f"C4: LLO <= {EXO2_LLO:g}", lambda m: m["llo"] <= EXO2_LLO),
    "exo 2, d_z 12 (tied action eigenvalues)": Rule(f"C4: |LLO - theory| <= {LLO_TOLERANCE:g}",
                                                    lambda m: abs(m["llo"] - m["theory_llo"]) <= LLO_TOLERANCE),
    "exo 0.5, chi 0.8": Rule("C5: LLO <= 0.8", lambda m: m["llo"] <= 0.8),
    "kappa 0.1, true latent": Rule(f"C6: LLO >= {AUGMENTED_LLO:g}", lambda m: m["llo"] >= AUGMENTED_LLO),
    "exo 2, kappa 0.1, 1% labels, true latent": Rule(f"C7: LLO >= {LABELLED_LLO:g}",
                                                     lambda m: m["llo"] >= LABELLED_LLO),
}


class Case(NamedTuple):
    """One case at one profile: seed means of llo and theory_llo, and whether every seed converged."""

    llo: float
    theory_llo: float
    converged: bool


def _cases(check: Results) -> dict:
    """case name -> profile -> :class:`Case`."""
    out = {}
    for case in PROFILE_CASES:
        values = {k: {c["profile"]: v for c, v in grid(check, k, case=case.name)} for k in ("llo", "theory_llo")}
        drift = {c["profile"]: v for c, v in grid(check, "llo_drift", seeds=True, case=case.name)}
        out[case.name] = {p: Case(values["llo"][p], values["theory_llo"][p],
                                  bool(max(abs(drift[p])) <= CONVERGED_DRIFT)) for p in values["llo"]}
        if REFERENCE not in out[case.name]:
            raise ClaimError(f"the profile check lacks the {REFERENCE} profile")
    return out


def same_verdicts(check: Results) -> list:
    """P (verdicts): each profile but the faithful one gives the faithful verdict on every case of
    :data:`RULES`."""
    out = []
    for name, profiles in _cases(check).items():
        if name not in RULES:
            continue
        rule = RULES[name]
        verdicts = {p: "holds" if rule.holds(m._asdict()) else "does not hold" for p, m in profiles.items()}
        for p in profiles:
            if p == REFERENCE:
                continue
            same = verdicts[p] == verdicts[REFERENCE]
            out.append(Check(f"verdict {p} vs {REFERENCE}: {name}", f"the same verdict on {rule.text}",
                             f"{verdicts[p]} / {verdicts[REFERENCE]} (LLO {profiles[p].llo:.4f} vs "
                             f"{profiles[REFERENCE].llo:.4f})", HOLDS if same else CONTRADICTED,
                             "" if same else f"{name}: {p} {verdicts[p]}, {REFERENCE} {verdicts[REFERENCE]}"))
    return out


def same_llo(check: Results) -> list:
    """P (LLO): each profile's LLO within PROFILE_TOLERANCE of the faithful one on every case where
    both runs converged."""
    out = []
    for name, profiles in _cases(check).items():
        ref = profiles[REFERENCE]
        pts = [Point(f"{p} {m.llo:.4f} vs {REFERENCE} {ref.llo:.4f}", abs(m.llo - ref.llo), m.converged and ref.converged)
               for p, m in profiles.items() if p != REFERENCE]
        out.append(bound(f"|LLO - {REFERENCE}'s|: {name}", pts, "<=", PROFILE_TOLERANCE))
    return out


def departures(check: Results) -> list:
    """(case, profile, LLO, faithful LLO, both converged) wherever a profile's LLO lies more than
    PROFILE_TOLERANCE from the faithful one, converged or not: where sampled training departs from
    the expected loss."""
    return [(name, p, m.llo, profiles[REFERENCE].llo, m.converged and profiles[REFERENCE].converged)
            for name, profiles in _cases(check).items() for p, m in profiles.items()
            if p != REFERENCE and abs(m.llo - profiles[REFERENCE].llo) > PROFILE_TOLERANCE]

"""Row P: the default training profiles stand in for the ``faithful`` one, judged on the profile
check's cases (declared with the experiment, :mod:`experiments.profile_check`)."""
from __future__ import annotations

from experiments.profile_check import CASE_METRICS, PROFILE_CASES, REFERENCE
from lamsim.runtime.results import Results
from reports.checks import PROFILE_TOLERANCE, Check, ClaimError, grid


def profiles_stand_in_for_faithful(check: Results) -> list:
    """P: for each case and each profile other than ``faithful`` (Adam 1e-3;
    10,000 steps for Figure 3, 40,000 for Figure 4), the LLO within 0.05 of
    the faithful one and the claim's verdict on it the same. The profiles'
    step counts are each panel's (experiments/runner.py)."""
    out = []
    for case in PROFILE_CASES:
        m = {p: {k: dict((c["profile"], v) for c, v in grid(check, k, case=case.name))[p] for k in CASE_METRICS}
             for p in check.coords["profile"]}
        if REFERENCE not in m:
            raise ClaimError(f"the profile check lacks the {REFERENCE} profile")
        verdicts = {p: "PASS" if case.holds(v) else "FAIL" for p, v in m.items()}
        for p in m:
            if p == REFERENCE:
                continue
            gap = abs(m[p]["llo"] - m[REFERENCE]["llo"])
            out.append(Check(f"LLO {p} vs {REFERENCE}: {case.name}",
                             f"|diff| <= {PROFILE_TOLERANCE:g}, same verdict on {case.rule}",
                             f"{m[p]['llo']:.4f} vs {m[REFERENCE]['llo']:.4f} ({verdicts[p]}/{verdicts[REFERENCE]})",
                             gap <= PROFILE_TOLERANCE and verdicts[p] == verdicts[REFERENCE]))
    return out

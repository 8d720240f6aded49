"""Our variant of Table 1 (paper Sec. 5), a robustness row beside the published table (claim
``C8 (ours)``; docs/method.md, Sec. 10).

- :mod:`~lamsim.gridworld.ours.world`: the 3x4 torus with i.i.d. transitions, sampled from blocks
  of random words.
- :mod:`~lamsim.gridworld.ours.settings`: each row's data setting (``GridSetting``) and the shared
  configuration (``Config``).
- :mod:`~lamsim.gridworld.ours.networks`: the IDM (a CNN on o and o' stacked), VQ and the FiLM
  UNet FDM (``LAM``), and the codebook helpers.
- :mod:`~lamsim.gridworld.ours.train`: Adam with dead-code restarts in one ``lax.scan``.
- :mod:`~lamsim.gridworld.ours.evaluate`: the normalised losses and code-action counts on held-out
  uniform-policy data.

It builds on :mod:`lamsim.gridworld.grid` and :mod:`lamsim.gridworld.layers` and never imports
:mod:`lamsim.gridworld.authors`.
"""

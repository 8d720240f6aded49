"""Table 1 as the authors ran it (paper Sec. 5; their released grid-world code), the published
table on which claim C8 rests (docs/method.md, Sec. 15).

- :mod:`~lamsim.gridworld.authors.world`: the 3x4 area with walls, fixed sets of 200-frame
  trajectories from row 1, column 2, split 95/5 into training and held-out trajectories.
- :mod:`~lamsim.gridworld.authors.settings`: each row's data setting (``AuthorsSetting``), the
  shared configuration (``AuthorsConfig``) and its profiles (``faithful``, ``cpu``).
- :mod:`~lamsim.gridworld.authors.networks`: the per-frame CNN encoder with BatchNorm, the MLP, VQ
  and the convolutional FDM (``AuthorsLAM``), in two formulations of one function.
- :mod:`~lamsim.gridworld.authors.train`: Adam over epochs of frame pairs in one ``lax.scan``,
  keeping the sums of the metrics window.
- :mod:`~lamsim.gridworld.authors.evaluate`: Table 1's numbers from those sums.
- :mod:`~lamsim.gridworld.authors.plan`: a dry-run plan (FLOPs, memory, time) without training.

It builds on :mod:`lamsim.gridworld.grid` and :mod:`lamsim.gridworld.layers` and never imports
:mod:`lamsim.gridworld.ours`.
"""

"""The non-linear LAM of the paper's Sec. 5 (Table 1): the 4x4 grid world, the CNN + VQ networks
(flax), their training and their evaluation, under two protocols side by side.

- :mod:`lamsim.gridworld.grid`: the 4x4 frame both protocols share (size, agent rows, actions and
  their moves, noise levels, the snake policy's correlation).
- :mod:`lamsim.gridworld.layers`: the network pieces both build on (``Conv3x3``, the vector
  quantiser and its ``VQOutput``).
- :mod:`lamsim.gridworld.authors`: Table 1 as the authors ran it, the published table (claim C8;
  docs/method.md, Sec. 15).
- :mod:`lamsim.gridworld.ours`: our variant, a robustness row (claim ``C8 (ours)``;
  docs/method.md, Sec. 10).

Each protocol has a ``world``, ``settings``, ``networks``, ``train`` and ``evaluate`` module (the
authors' also a dry-run ``plan``); the two import ``grid`` and ``layers``, never each other.
"""

"""The run loop every trainer shares (lamsim/runtime/loop.py)."""
import jax
import numpy as np

from lamsim.runtime.loop import segments, seed_keys
from lamsim.runtime.progress import segment_length


def test_segments_cover_the_run_once_and_end_at_every_checkpoint():
    for total in (1, 7, 400, 1600, 10000):
        cut = segments(total)
        assert cut[0][0] == 0 and cut[-1][1] == total
        assert all(a[1] == b[0] for a, b in zip(cut, cut[1:]))
        assert {end - start for start, end in cut} == {segment_length(total)}  # one length: one compile
    assert segments(100, checkpoints=(25, 30)) == [(0, 10), (10, 20), (20, 25), (25, 30), (30, 40), (40, 50),
                                                   (50, 60), (60, 70), (70, 80), (80, 90), (90, 100)]


def test_seed_keys_are_the_seeds_fold_ins():
    keys = seed_keys(7, 3)
    want = [jax.random.fold_in(jax.random.key(7), i) for i in (1, 2, 3)]
    for k, w in zip(keys, want):
        np.testing.assert_array_equal(jax.random.key_data(k), jax.random.key_data(w))
    assert len({tuple(np.asarray(jax.random.key_data(k))) for k in keys}) == 3

"""The non-linear LAM of the paper's Sec. 5 (Table 1): the 4x4 grid world, the CNN + VQ +
UNet networks (flax), their training and their evaluation."""

"""The linear latent action model of the paper's Sec. 3-4: settings, world, model,
training (sample-based and on the closed-form expected loss), exact evaluation and
the PCA theory."""

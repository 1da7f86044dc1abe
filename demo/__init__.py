"""Weightless demo of Sampler Lab: a generated image data set, its exact denoiser, workflow tools."""

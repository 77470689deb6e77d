package rlhf4j.policy.model;

/** Which normalisation a family's blocks use. */
public enum NormKind {
  /** (x − mean)/√(var + eps)·w + b (GPT-2, GPT-NeoX). */
  LAYER_NORM,
  /** x/√(mean(x²) + eps)·w, no bias (Llama family). */
  RMS_NORM
}

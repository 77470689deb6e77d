package rlhf4j.policy.model;

/** Which normalisation a family's blocks use. */
public enum NormKind {
  /** (x − mean)/√(var + eps)·w + b (GPT-2, GPT-NeoX). */
  LAYER_NORM,
  /** x/√(mean(x²) + eps)·w, no bias (Llama family). */
  RMS_NORM,
  /**
   * x/√(mean(x²) + eps)·(1 + w), no bias, weights initialised to 0 (Gemma 3: modeling_gemma3.py
   * {@code Gemma3RMSNorm}).
   */
  RMS_NORM_PLUS_ONE
}

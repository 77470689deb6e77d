package rlhf4j.policy.model;

/** How a family encodes token positions. */
public enum PositionKind {
  /** A learned position table added to the embeddings; sequences end at its size (GPT-2). */
  LEARNED,
  /** Rotary embeddings on queries and keys (Llama family, GPT-NeoX). */
  ROTARY
}

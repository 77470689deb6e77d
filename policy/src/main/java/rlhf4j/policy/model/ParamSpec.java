package rlhf4j.policy.model;

/**
 * One parameter a model of a given config must have.
 *
 * @param name HF state-dict name, e.g. {@code transformer.h.0.attn.c_attn.weight}
 * @param shape shape inside rlhf4j (Linear weights are (out, in))
 * @param hfTransposed the checkpoint stores the transpose (GPT-2 Conv1D)
 * @param init how a fresh model initialises it
 * @param std standard deviation for {@link Init#NORMAL}
 */
public record ParamSpec(String name, long[] shape, boolean hfTransposed, Init init, double std) {
  /** Initialisation of a fresh parameter. */
  public enum Init {
    NORMAL,
    ONES,
    ZEROS
  }

  /** A parameter drawn from N(0, std²). */
  public static ParamSpec normal(String name, double std, long... shape) {
    return new ParamSpec(name, shape, false, Init.NORMAL, std);
  }

  /** A parameter filled with ones. */
  public static ParamSpec ones(String name, long... shape) {
    return new ParamSpec(name, shape, false, Init.ONES, 0);
  }

  /** A parameter filled with zeros. */
  public static ParamSpec zeros(String name, long... shape) {
    return new ParamSpec(name, shape, false, Init.ZEROS, 0);
  }

  /** The same parameter, stored transposed in HF checkpoints (GPT-2 Conv1D). */
  public ParamSpec transposedInHf() {
    return new ParamSpec(name, shape, true, init, std);
  }

  /** The shape as stored in an HF checkpoint. */
  public long[] hfShape() {
    return hfTransposed ? new long[] {shape[1], shape[0]} : shape;
  }
}

package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Masked statistics as in TRL {@code core.masked_mean}, {@code masked_var}, {@code masked_whiten},
 * shared by every RLHF trainer (PPO, GRPO, RLOO) over (B, T) response masks.
 */
public final class Masked {

  /** Added to the variance before the reciprocal square root, as in TRL {@code whiten}. */
  public static final double WHITEN_EPS = 1e-8;

  private Masked() {}

  /**
   * Mean over the positions where {@code mask} is 1: {@code sum(values*mask)/sum(mask)}.
   *
   * @param values any shape, e.g. (B, T)
   * @param mask same shape as {@code values}, 0/1
   * @return scalar in {@code values}' type; NaN when the mask is empty, as in TRL
   */
  public static NDArray mean(NDArray values, NDArray mask) {
    NDArray m = asType(mask, values);
    return values.mul(m).sum().div(m.sum()); // ()
  }

  /**
   * Masked variance {@code mean((values - mean)^2)}, times Bessel's {@code n/(n-1)} when {@code
   * unbiased}, with {@code n = sum(mask)}.
   *
   * @throws IllegalArgumentException if the mask is empty, or holds one position and {@code
   *     unbiased} is set (TRL raises on the first and returns NaN on the second)
   */
  public static NDArray var(NDArray values, NDArray mask, boolean unbiased) {
    NDArray m = asType(mask, values);
    double n = scalar(m.sum());
    if (n == 0) {
      throw new IllegalArgumentException(
          "masked variance needs at least one unmasked position, got an all-zero mask of shape "
              + mask.getShape()
              + "; check the response mask");
    }
    if (unbiased && n == 1) {
      throw new IllegalArgumentException(
          "unbiased masked variance needs at least 2 unmasked positions, got 1 (Bessel n/(n-1)"
              + " divides by zero); use longer responses or a larger batch");
    }
    NDArray centered = values.sub(mean(values, m)); // same shape as values
    NDArray variance = mean(centered.square(), m); // ()
    return unbiased ? variance.mul(n / (n - 1)) : variance;
  }

  /**
   * Whitens {@code values} with the masked mean and unbiased masked variance: {@code (values -
   * mean) * rsqrt(var + 1e-8)}; with {@code shiftMean == false} the mean is added back. Every
   * position is transformed, masked ones included, as in TRL.
   *
   * @return same shape as {@code values}
   */
  public static NDArray whiten(NDArray values, NDArray mask, boolean shiftMean) {
    NDArray mean = mean(values, mask); // ()
    NDArray variance = var(values, mask, true); // ()
    NDArray whitened = values.sub(mean).mul(variance.add(WHITEN_EPS).pow(-0.5)); // same as values
    return shiftMean ? whitened : whitened.add(mean);
  }

  /** A scalar array's value as a double, whatever its floating type. */
  public static double scalar(NDArray scalar) {
    return scalar.toType(DataType.FLOAT64, false).getDouble();
  }

  /** The mask in {@code like}'s data type (masks never carry gradients, so the cast is safe). */
  public static NDArray asType(NDArray mask, NDArray like) {
    return mask.getDataType() == like.getDataType() ? mask : mask.toType(like.getDataType(), false);
  }
}

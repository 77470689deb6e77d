package rlhf4j.ppo.grpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;

/**
 * The tokens a {@code top_entropy_quantile} below 1 keeps in GRPO's policy loss ("Beyond the 80/20
 * Rule"): TRL 1.13's {@code GRPOTrainer.get_high_entropy_mask} on one process, those active tokens
 * whose entropy is at least the {@code threshold} quantile of the active tokens' entropies.
 */
final class HighEntropyMask {

  private HighEntropyMask() {}

  /**
   * The mask, as float 1/0 in {@code mask}'s type; all zeros when no token is active.
   *
   * @param entropies per-token entropies, no gradient // (B, T)
   * @param mask the completion mask // (B, T)
   * @param threshold the quantile, {@code 1 - top_entropy_quantile}, in [0, 1]
   * @return // (B, T)
   */
  static NDArray of(NDArray entropies, NDArray mask, double threshold) {
    float[] e = entropies.toType(DataType.FLOAT32, false).toFloatArray();
    float[] m = mask.toType(DataType.FLOAT32, false).toFloatArray();
    float[] active = new float[e.length];
    int n = 0;
    for (int i = 0; i < e.length; i++) {
      if (m[i] != 0) {
        active[n++] = e[i];
      }
    }
    NDArray entropyMask;
    if (n == 0) {
      entropyMask = mask.zerosLike();
    } else {
      float cut = quantile(Arrays.copyOf(active, n), threshold);
      NDArray masked = entropies.mul(mask.toType(entropies.getDataType(), false)); // (B, T)
      entropyMask = masked.gte(cut).logicalAnd(mask.toType(DataType.BOOLEAN, false));
    }
    return entropyMask.toType(mask.getDataType(), false);
  }

  /**
   * {@code torch.quantile(values, q)} with linear interpolation, in float32 as torch computes it
   * for float32 values: rank {@code q * (n - 1)}, then ATen's {@code lerp} of its two neighbours.
   */
  static float quantile(float[] values, double q) {
    float[] v = values.clone();
    Arrays.sort(v);
    float rank = (float) q * (v.length - 1);
    int below = (int) rank;
    int above = (int) Math.ceil(rank);
    float w = rank - below;
    float a = v[below];
    float b = v[above];
    return w < 0.5f ? a + w * (b - a) : b - (b - a) * (1 - w);
  }
}

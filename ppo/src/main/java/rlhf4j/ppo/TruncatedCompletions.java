package rlhf4j.ppo;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * TRL's {@code mask_truncated_completions}: a completion whose last token is neither EOS nor pad
 * was cut at the length limit; its mask row becomes all zeros so it contributes nothing to the loss
 * (nor to the {@code dapo} token count).
 */
public final class TruncatedCompletions {

  private TruncatedCompletions() {}

  /**
   * Which completions were truncated.
   *
   * @param completions (B) token ids of each completion, cut after its first EOS, unpadded
   * @return (B) true where the last id is neither {@code eosId} nor {@code padId} (an empty
   *     completion counts as truncated)
   */
  public static boolean[] truncated(List<int[]> completions, int eosId, int padId) {
    boolean[] out = new boolean[completions.size()];
    for (int i = 0; i < out.length; i++) {
      int[] ids = completions.get(i);
      out[i] = ids.length == 0 || (ids[ids.length - 1] != eosId && ids[ids.length - 1] != padId);
    }
    return out;
  }

  /** The fraction of truncated completions, TRL {@code completions/clipped_ratio}. */
  public static double clippedRatio(boolean[] truncated) {
    int n = 0;
    for (boolean t : truncated) {
      n += t ? 1 : 0;
    }
    return truncated.length == 0 ? 0.0 : (double) n / truncated.length;
  }

  /**
   * TRL's completion-length metrics ({@code GRPOTrainer._generate_and_score_completions}): {@code
   * completions/mean_length}, {@code min_length}, {@code max_length}, {@code clipped_ratio} and
   * {@code mean|min|max_terminated_length} over the completions that ended in EOS or pad (all 0
   * when none did, as in TRL).
   *
   * @param completions (B) token ids of each completion, cut after its first EOS, unpadded
   */
  public static Map<String, Double> metrics(List<int[]> completions, int eosId, int padId) {
    if (completions.isEmpty()) {
      throw new IllegalArgumentException("no completions to measure");
    }
    boolean[] truncated = truncated(completions, eosId, padId);
    double sum = 0;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    double termSum = 0;
    double termMin = Double.POSITIVE_INFINITY;
    double termMax = Double.NEGATIVE_INFINITY;
    int terminated = 0;
    for (int i = 0; i < truncated.length; i++) {
      double len = completions.get(i).length;
      sum += len;
      min = Math.min(min, len);
      max = Math.max(max, len);
      if (!truncated[i]) {
        termSum += len;
        termMin = Math.min(termMin, len);
        termMax = Math.max(termMax, len);
        terminated++;
      }
    }
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("completions/mean_length", sum / truncated.length);
    m.put("completions/min_length", min);
    m.put("completions/max_length", max);
    m.put("completions/clipped_ratio", clippedRatio(truncated));
    m.put("completions/mean_terminated_length", terminated == 0 ? 0.0 : termSum / terminated);
    m.put("completions/min_terminated_length", terminated == 0 ? 0.0 : termMin);
    m.put("completions/max_terminated_length", terminated == 0 ? 0.0 : termMax);
    return Collections.unmodifiableMap(m);
  }

  /**
   * The completion mask with truncated rows zeroed.
   *
   * @param mask (B, T)
   * @param truncated (B)
   * @return (B, T) in {@code mask}'s type
   */
  public static NDArray mask(NDArray mask, boolean[] truncated) {
    if (mask.getShape().get(0) != truncated.length) {
      throw new IllegalArgumentException(
          "mask has "
              + mask.getShape().get(0)
              + " rows but "
              + truncated.length
              + " truncation flags were given; pass one flag per completion");
    }
    float[] keep = new float[truncated.length];
    for (int i = 0; i < keep.length; i++) {
      keep[i] = truncated[i] ? 0f : 1f;
    }
    NDArray keepRows = mask.getManager().create(keep).reshape(-1, 1); // (B, 1)
    return mask.mul(keepRows.toType(mask.getDataType(), false)); // (B, T)
  }
}

package rlhf4j.ppo.rloo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.Map;
import rlhf4j.policy.model.Masked;

/**
 * RLOO's sequence-level clipped loss, as TRL v1.9's {@code RLOOTrainer._compute_loss}: {@code logps
 * = sum_t(logp * m)}, {@code rho = exp(logps - oldLogps)}, {@code loss = mean_i -min(rho * A,
 * clamp(rho, 1 - epsLow, 1 + epsHigh) * A)}. Unscaled: the caller divides for gradient accumulation
 * as the HF Trainer does. Differentiable with respect to {@code logProbs}.
 */
public final class RlooLoss {

  private RlooLoss() {}

  /**
   * Everything {@link #compute} produces.
   *
   * @param loss () the loss to back-propagate
   * @param clipRatioLow fraction of sequences with {@code rho < 1 - epsLow} and {@code A < 0}
   * @param clipRatioHigh fraction with {@code rho > 1 + epsHigh} and {@code A > 0}
   * @param clipRatioRegion fraction clipped either way
   */
  public record Result(
      NDArray loss, double clipRatioLow, double clipRatioHigh, double clipRatioRegion) {

    /** The metrics under TRL's names. */
    public Map<String, Double> metrics() {
      Map<String, Double> m = new LinkedHashMap<>();
      m.put("clip_ratio/low_mean", clipRatioLow);
      m.put("clip_ratio/high_mean", clipRatioHigh);
      m.put("clip_ratio/region_mean", clipRatioRegion);
      return m;
    }
  }

  /**
   * Summed log-probs of each completion, TRL {@code (per_token_logps * completion_mask).sum(1)};
   * used both for the old log-probs at generation time and inside {@link #compute}.
   *
   * @param perTokenLogProbs (B, T)
   * @param mask (B, T)
   * @return (B)
   */
  public static NDArray sequenceLogProbs(NDArray perTokenLogProbs, NDArray mask) {
    return perTokenLogProbs.mul(Masked.asType(mask, perTokenLogProbs)).sum(new int[] {1}); // (B)
  }

  /**
   * The loss of one micro-batch.
   *
   * @param logProbs (B, T) current per-token log-probs, with the graph
   * @param oldSequenceLogProbs (B) {@link #sequenceLogProbs} at generation time
   * @param advantages (B)
   * @param mask (B, T)
   * @param epsilonLow lower clip ({@code epsilon}, 0.2)
   * @param epsilonHigh upper clip ({@code epsilon_high}, defaults to epsilon)
   */
  public static Result compute(
      NDArray logProbs,
      NDArray oldSequenceLogProbs,
      NDArray advantages,
      NDArray mask,
      double epsilonLow,
      double epsilonHigh) {
    NDArray logps = sequenceLogProbs(logProbs, mask); // (B)
    NDArray coef1 = logps.sub(oldSequenceLogProbs).exp(); // (B)
    NDArray coef2 = coef1.clip(1 - epsilonLow, 1 + epsilonHigh); // (B)
    NDArray perSequenceLoss =
        NDArrays.minimum(coef1.mul(advantages), coef2.mul(advantages)).neg(); // (B)
    NDArray loss = perSequenceLoss.mean(); // ()
    NDArray ratio = coef1.stopGradient();
    NDArray low = ratio.lt(1 - epsilonLow).logicalAnd(advantages.lt(0)); // (B)
    NDArray high = ratio.gt(1 + epsilonHigh).logicalAnd(advantages.gt(0)); // (B)
    return new Result(loss, fraction(low), fraction(high), fraction(low.logicalOr(high)));
  }

  private static double fraction(NDArray bool) {
    return bool.toType(DataType.FLOAT64, false).mean().getDouble();
  }
}

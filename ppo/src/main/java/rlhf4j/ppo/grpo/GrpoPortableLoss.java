package rlhf4j.ppo.grpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.OptionalDouble;
import rlhf4j.ppo.MiniBatchUpdate;

/**
 * GRPO's mini-batch loss with the step's per-row data as plain arrays, for a data-parallel update
 * ({@link rlhf4j.ppo.GradientSource}): a worker rebuilds the step's arrays in float32, as the
 * driver holds them, and runs the same {@link GrpoTrainer} loss code on its mini-batches.
 *
 * @param epsilonLow see {@link GrpoLoss.Settings}
 * @param epsilonHigh see {@link GrpoLoss.Settings}
 * @param delta the ratio cap, NaN for none
 * @param beta see {@link GrpoLoss.Settings}
 * @param lossType see {@link GrpoLoss.Settings}
 * @param level see {@link GrpoLoss.Settings}
 * @param maxCompletionLength see {@link GrpoLoss.Settings}
 * @param useBiasCorrectionKl see {@link GrpoLoss.Settings}
 * @param sapoTemperaturePos see {@link GrpoLoss.Settings}
 * @param sapoTemperatureNeg see {@link GrpoLoss.Settings}
 * @param topEntropyQuantile see {@link GrpoLoss.Settings}
 * @param offPolicyMaskThreshold see {@link GrpoLoss.Settings}, NaN for none
 * @param temperature the sampling temperature (entropy metric)
 * @param advantages (B) one advantage per completion
 * @param oldLogProbs (B * T) old log-probs row-major, or null (ratio 1)
 * @param refLogProbs (B * T) reference log-probs row-major, or null (beta 0)
 * @param activeTokens active tokens of the whole step (the {@code dapo} denominator)
 * @param firstIteration whether to report {@code ratio_max_dev}
 */
public record GrpoPortableLoss(
    double epsilonLow,
    double epsilonHigh,
    double delta,
    double beta,
    GrpoLossType lossType,
    ImportanceSamplingLevel level,
    int maxCompletionLength,
    boolean useBiasCorrectionKl,
    double sapoTemperaturePos,
    double sapoTemperatureNeg,
    double topEntropyQuantile,
    double offPolicyMaskThreshold,
    double temperature,
    float[] advantages,
    float[] oldLogProbs,
    float[] refLogProbs,
    double activeTokens,
    boolean firstIteration)
    implements MiniBatchUpdate.PortableLoss {
  private static final long serialVersionUID = 1L;

  /**
   * The loss of one GRPO iteration on the driver's arrays.
   *
   * @param oldLogProbs // (B, T) or null
   * @param refLogProbs // (B, T) or null
   * @param advantages // (B)
   */
  static GrpoPortableLoss of(
      GrpoConfig config,
      NDArray oldLogProbs,
      NDArray refLogProbs,
      NDArray advantages,
      double activeTokens,
      boolean firstIteration) {
    GrpoLoss.Settings s = config.lossSettings();
    return new GrpoPortableLoss(
        s.epsilonLow(),
        s.epsilonHigh(),
        s.delta().isPresent() ? s.delta().getAsDouble() : Double.NaN,
        s.beta(),
        s.lossType(),
        s.level(),
        s.maxCompletionLength(),
        s.useBiasCorrectionKl(),
        s.sapoTemperaturePos(),
        s.sapoTemperatureNeg(),
        s.topEntropyQuantile(),
        s.offPolicyMaskThreshold().isPresent()
            ? s.offPolicyMaskThreshold().getAsDouble()
            : Double.NaN,
        config.temperature(),
        floats(advantages),
        oldLogProbs == null ? null : floats(oldLogProbs),
        refLogProbs == null ? null : floats(refLogProbs),
        activeTokens,
        firstIteration);
  }

  @Override
  public MiniBatchUpdate.Loss apply(MiniBatchUpdate.Rows rows, NDArray logProbs, NDArray logits) {
    NDManager m = logProbs.getManager();
    GrpoLoss.Settings settings =
        new GrpoLoss.Settings(
            epsilonLow,
            epsilonHigh,
            Double.isNaN(delta) ? OptionalDouble.empty() : OptionalDouble.of(delta),
            beta,
            lossType,
            level,
            maxCompletionLength,
            useBiasCorrectionKl,
            sapoTemperaturePos,
            sapoTemperatureNeg,
            topEntropyQuantile,
            Double.isNaN(offPolicyMaskThreshold)
                ? OptionalDouble.empty()
                : OptionalDouble.of(offPolicyMaskThreshold));
    long b = advantages.length;
    return GrpoTrainer.loss(
        settings,
        temperature,
        rows,
        logProbs,
        logits,
        oldLogProbs == null
            ? null
            : m.create(oldLogProbs, new Shape(b, oldLogProbs.length / b)), // (B, T)
        refLogProbs == null
            ? null
            : m.create(refLogProbs, new Shape(b, refLogProbs.length / b)), // (B, T)
        m.create(advantages), // (B)
        activeTokens,
        firstIteration);
  }

  private static float[] floats(NDArray x) {
    return x.toType(DataType.FLOAT32, false).toFloatArray();
  }
}

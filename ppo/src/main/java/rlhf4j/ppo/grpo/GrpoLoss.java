package rlhf4j.ppo.grpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;
import rlhf4j.policy.model.Scalars;
import rlhf4j.ppo.ConfigChecks;
import rlhf4j.ppo.TruncatedCompletions;

/**
 * GRPO's policy loss, as TRL's {@code GRPOTrainer._compute_loss} computes it (v1.9 for {@code
 * grpo}, {@code bnpo}, {@code dr_grpo} and {@code dapo}; 1.13 for {@code cispo}, {@code sapo} and
 * {@code luspo}):
 *
 * <pre>
 *   log w = logp - oldLogp                     (token)  or masked mean over t of it (sequence, GSPO)
 *   rho = exp(log w);  coef = clamp(rho, 1 - epsLow, 1 + epsHigh);  rho = min(rho, delta) if delta
 *   l_t = -min(rho * A, coef * A) + beta * (exp(ref - logp) - (ref - logp) - 1)   (k3, beta != 0)
 * </pre>
 *
 * with the surrogate replaced for CISPO and SAPO ({@link GrpoLossType}), then aggregated by {@link
 * GrpoLossType}. Differentiable with respect to {@code logProbs}.
 */
public final class GrpoLoss {

  private GrpoLoss() {}

  /**
   * Loss hyper-parameters (TRL names in brackets); build from {@link GrpoConfig#lossSettings()}.
   *
   * @param epsilonLow lower clip {@code epsilon}
   * @param epsilonHigh upper clip {@code epsilon_high}
   * @param delta upper cap on the ratio ({@code delta}), empty for none
   * @param beta k3 KL weight ({@code beta}); 0 means no reference log-probs are needed
   * @param lossType aggregation ({@code loss_type})
   * @param level token or sequence ratio ({@code importance_sampling_level})
   * @param maxCompletionLength the {@code dr_grpo} denominator ({@code max_completion_length})
   * @param useBiasCorrectionKl multiply the k3 KL by the importance weight, so that its gradient is
   *     the unbiased reverse-KL gradient (DeepSeek-V3.2; {@code use_bias_correction_kl}, TRL 1.13,
   *     whose default is true; absent in TRL v1.9, whose defaults rlhf4j keeps: false)
   * @param sapoTemperaturePos SAPO's gate temperature where A &gt; 0 ({@code sapo_temperature_pos},
   *     1.0)
   * @param sapoTemperatureNeg SAPO's gate temperature elsewhere ({@code sapo_temperature_neg},
   *     1.05)
   * @param topEntropyQuantile the fraction of tokens, by entropy, the policy loss keeps ({@code
   *     top_entropy_quantile}, 1.0: all; the 80/20 paper recommends 0.2); the KL term keeps all
   * @param offPolicyMaskThreshold DeepSeek-V3.2's off-policy sequence mask ({@code
   *     off_policy_mask_threshold}): a completion with a negative advantage whose mean {@code
   *     oldLogp - logp} over its tokens exceeds it leaves the policy term; empty for none
   */
  public record Settings(
      double epsilonLow,
      double epsilonHigh,
      OptionalDouble delta,
      double beta,
      GrpoLossType lossType,
      ImportanceSamplingLevel level,
      int maxCompletionLength,
      boolean useBiasCorrectionKl,
      double sapoTemperaturePos,
      double sapoTemperatureNeg,
      double topEntropyQuantile,
      OptionalDouble offPolicyMaskThreshold) {
    /** Validates the ranges. */
    public Settings {
      if (offPolicyMaskThreshold == null) {
        offPolicyMaskThreshold = OptionalDouble.empty();
      }
      checkGatesAndMasks(
          sapoTemperaturePos, sapoTemperatureNeg, topEntropyQuantile, offPolicyMaskThreshold);
      if (!(epsilonLow >= 0 && epsilonLow < 1) || !(epsilonHigh >= 0)) {
        throw new IllegalArgumentException(
            "epsilonLow must be in [0, 1) and epsilonHigh >= 0, got "
                + epsilonLow
                + " and "
                + epsilonHigh
                + "; TRL uses 0.2 for both");
      }
      if (!(beta >= 0) || Double.isInfinite(beta)) {
        throw new IllegalArgumentException("beta must be finite and >= 0, got " + beta);
      }
      if (maxCompletionLength < 1) {
        throw new IllegalArgumentException(
            "maxCompletionLength must be >= 1, got " + maxCompletionLength);
      }
      if (lossType == null || level == null || delta == null) {
        throw new IllegalArgumentException("lossType, level and delta must not be null");
      }
    }

    /**
     * Validates SAPO's gate temperatures, the {@code top_entropy_quantile} and the off-policy
     * mask's threshold (empty for none); {@link GrpoConfig} checks its fields with the same rules.
     */
    static void checkGatesAndMasks(
        double sapoTemperaturePos,
        double sapoTemperatureNeg,
        double topEntropyQuantile,
        OptionalDouble offPolicyMaskThreshold) {
      ConfigChecks.positive("sapoTemperaturePos", sapoTemperaturePos, "TRL uses 1.0");
      ConfigChecks.positive("sapoTemperatureNeg", sapoTemperatureNeg, "TRL uses 1.05");
      if (!(topEntropyQuantile >= 0 && topEntropyQuantile <= 1)) {
        throw new IllegalArgumentException(
            "topEntropyQuantile must be in [0, 1] (1 keeps every token, 0.2 the top fifth by"
                + " entropy), got "
                + topEntropyQuantile);
      }
      if (offPolicyMaskThreshold.isPresent()
          && !(offPolicyMaskThreshold.getAsDouble() > 0
              && Double.isFinite(offPolicyMaskThreshold.getAsDouble()))) {
        throw new IllegalArgumentException(
            "offPolicyMaskThreshold must be finite and > 0 (or absent), got "
                + offPolicyMaskThreshold.getAsDouble()
                + "; DeepSeek-V3.2 and TRL suggest e.g. 0.5");
      }
    }
  }

  /**
   * Everything {@link #compute} produces.
   *
   * @param loss () the loss to back-propagate, already divided for gradient accumulation
   * @param policyLoss the loss before the gradient-accumulation division (TRL's logged {@code
   *     policy_loss}); for {@code dapo} equal to {@code loss}
   * @param kl masked mean k3 KL (TRL {@code kl}), NaN when beta is 0 (TRL logs nothing then)
   * @param clip what TRL logs of the clipping: {@code clip_ratio/low_mean} (fraction with {@code
   *     rho < 1 - epsLow} and {@code A < 0}), {@code clip_ratio/high_mean} ({@code rho > 1 +
   *     epsHigh}, {@code A > 0}) and {@code clip_ratio/region_mean} (either) for the clipped
   *     surrogates; {@code cispo_clip_ratio} ({@code rho > epsilon_high}, {@code A > 0}) for CISPO;
   *     nothing for SAPO
   */
  public record Result(NDArray loss, double policyLoss, double kl, Map<String, Double> clip) {

    /** The metrics under TRL's names; {@code kl} only when it was computed. */
    public Map<String, Double> metrics() {
      Map<String, Double> m = new LinkedHashMap<>();
      if (!Double.isNaN(kl)) {
        m.put("kl", kl);
      }
      m.putAll(clip);
      return m;
    }
  }

  /**
   * The loss of one micro-batch.
   *
   * @param logProbs (B, T) current log-probs of the completion tokens, with the graph
   * @param oldLogProbs (B, T) log-probs at generation time, or null when {@code num_iterations ==
   *     1} (then {@code logProbs} detached is used and every ratio is 1, as in TRL)
   * @param refLogProbs (B, T) reference log-probs; required iff {@code beta != 0}
   * @param advantages (B) one advantage per completion
   * @param mask (B, T) completion mask (after {@link TruncatedCompletions#mask} if enabled)
   * @param entropyMask (B, T) 1 on the tokens the policy term keeps (the {@code
   *     top_entropy_quantile} mask, {@link HighEntropyMask}), or null for all; the KL term keeps
   *     every token of {@code mask}, as in TRL
   * @param settings hyper-parameters
   * @param gradientAccumulationSteps micro-batches per optimizer step (1 in evaluation); divides
   *     every loss type but {@code dapo}
   * @param numItemsInBatch active tokens of the whole generation batch (TRL {@code
   *     num_items_in_batch}); the {@code dapo} denominator, single process
   */
  public static Result compute(
      NDArray logProbs,
      NDArray oldLogProbs,
      NDArray refLogProbs,
      NDArray advantages,
      NDArray mask,
      NDArray entropyMask,
      Settings settings,
      int gradientAccumulationSteps,
      double numItemsInBatch) {
    if (gradientAccumulationSteps < 1) {
      throw new IllegalArgumentException(
          "gradientAccumulationSteps must be >= 1, got " + gradientAccumulationSteps);
    }
    boolean withKl = settings.beta() != 0.0;
    if (withKl && refLogProbs == null) {
      throw new IllegalArgumentException(
          "beta is "
              + settings.beta()
              + " but no reference log-probs were given; pass them or set"
              + " beta to 0");
    }
    NDArray m =
        mask.getDataType() == logProbs.getDataType()
            ? mask
            : mask.toType(logProbs.getDataType(), false); // (B, T)
    NDArray old = oldLogProbs == null ? logProbs.stopGradient() : oldLogProbs; // (B, T)
    NDArray a = advantages.reshape(-1, 1); // (B, 1)

    NDArray logRatio = logProbs.sub(old); // (B, T)
    NDArray logWeights;
    if (settings.level() == ImportanceSamplingLevel.TOKEN) {
      logWeights = logRatio; // (B, T)
    } else {
      logWeights = sequenceMean(logRatio, m); // (B, 1)
    }
    NDArray coef1 = logWeights.exp(); // (B, T) or (B, 1)
    NDArray weight = coef1; // the importance weight before the delta cap
    NDArray perTokenLoss =
        switch (settings.lossType()) {
          case CISPO -> cispo(coef1, a, logProbs, settings.epsilonHigh()); // (B, T)
          case SAPO -> sapo(coef1, a, settings); // (B, T) or (B, 1)
          default -> {
            NDArray coef2 = coef1.clip(1 - settings.epsilonLow(), 1 + settings.epsilonHigh());
            if (settings.delta().isPresent()) {
              coef1 = coef1.clip(-Float.MAX_VALUE, settings.delta().getAsDouble());
            }
            yield NDArrays.minimum(coef1.mul(a), coef2.mul(a)).neg(); // (B, T) or (B, 1)
          }
        };

    if (settings.offPolicyMaskThreshold().isPresent()) {
      perTokenLoss =
          perTokenLoss.mul(
              offPolicyMask(a, logProbs, old, m, settings.offPolicyMaskThreshold().getAsDouble()));
    }
    if (entropyMask != null) {
      perTokenLoss = perTokenLoss.mul(entropyMask.toType(perTokenLoss.getDataType(), false));
    }

    NDArray perTokenKl = null;
    if (withKl) {
      // masked first: padded positions (a rollout source's arrays hold 0 there) give exp(0)
      NDArray d = refLogProbs.sub(logProbs).mul(m); // (B, T)
      perTokenKl = d.exp().sub(d).sub(Scalars.of(d, 1.0)); // (B, T)
      if (settings.useBiasCorrectionKl()) {
        perTokenKl = perTokenKl.mul(weight); // (B, T): differentiable, so on-policy too
      }
      perTokenLoss = perTokenLoss.add(Scalars.mul(perTokenKl, settings.beta())); // (B, T)
    }

    NDArray masked = perTokenLoss.mul(m); // (B, T)
    NDArray loss;
    double divideBy;
    switch (settings.lossType()) {
      case GRPO, SAPO -> {
        NDArray tokens = m.sum(new int[] {1}).clip(1.0, Float.MAX_VALUE); // (B)
        loss = masked.sum(new int[] {1}).div(tokens).mean(); // ()
        divideBy = gradientAccumulationSteps;
      }
      case BNPO -> {
        loss = masked.sum().div(m.sum().clip(1.0, Float.MAX_VALUE)); // ()
        divideBy = gradientAccumulationSteps;
      }
      case LUSPO -> {
        loss = masked.sum(new int[] {1}).mean(); // ()
        divideBy = gradientAccumulationSteps;
      }
      case DR_GRPO -> {
        long rows = perTokenLoss.getShape().get(0);
        loss = Scalars.div(masked.sum(), (double) rows * settings.maxCompletionLength()); // ()
        divideBy = gradientAccumulationSteps;
      }
      case DAPO, CISPO -> {
        loss = Scalars.div(masked.sum(), Math.max(numItemsInBatch, 1.0)); // ()
        divideBy = 1;
      }
      default -> throw new IllegalStateException("unknown loss type " + settings.lossType());
    }
    double policyLoss = scalar(loss);
    if (divideBy != 1) {
      loss = Scalars.div(loss, divideBy);
    }

    double kl = withKl ? globalMaskedMean(perTokenKl.stopGradient(), m) : Double.NaN;
    return new Result(loss, policyLoss, kl, clipMetrics(coef1.stopGradient(), a, m, settings));
  }

  /**
   * DeepSeek-V3.2's off-policy sequence mask (TRL {@code get_off_policy_mask}): 1 where {@code A >=
   * 0} or the masked mean of {@code sampling - logp} (no gradient) is at most {@code threshold}.
   * The sampling log-probs are the old ones, as TRL takes them without vLLM.
   *
   * @return // (B, 1)
   */
  static NDArray offPolicyMask(
      NDArray a, NDArray logProbs, NDArray sampling, NDArray m, double threshold) {
    NDArray meanKl = sequenceMean(sampling.sub(logProbs.stopGradient()), m); // (B, 1)
    return a.gte(0).logicalOr(meanKl.lte(threshold)).toType(m.getDataType(), false);
  }

  /** Each row's mean over its masked tokens, {@code sum_t(x*m) / max(sum_t m, 1)}. // (B, 1) */
  private static NDArray sequenceMean(NDArray x, NDArray m) {
    NDArray tokens = m.sum(new int[] {1}, true).clip(1.0, Float.MAX_VALUE); // (B, 1)
    return x.mul(m).sum(new int[] {1}, true).div(tokens);
  }

  /** CISPO: {@code -sg(min(rho, epsilonHigh)) * A * logp}. // (B, T) */
  private static NDArray cispo(NDArray rho, NDArray a, NDArray logProbs, double epsilonHigh) {
    NDArray capped = rho.clip(-Float.MAX_VALUE, epsilonHigh).stopGradient(); // like rho
    return capped.neg().mul(a).mul(logProbs);
  }

  /** SAPO: {@code -sigmoid(tau * (rho - 1)) * 4 / tau * A}, tau by the sign of A. */
  private static NDArray sapo(NDArray rho, NDArray a, Settings settings) {
    NDArray tau =
        NDArrays.where(
            a.gt(0),
            Scalars.of(a, settings.sapoTemperaturePos()).broadcast(a.getShape()),
            Scalars.of(a, settings.sapoTemperatureNeg()).broadcast(a.getShape())); // (B, 1)
    NDArray gate = ai.djl.nn.Activation.sigmoid(tau.mul(rho.sub(Scalars.of(rho, 1.0))));
    return Scalars.mul(gate, 4.0).div(tau).neg().mul(a);
  }

  /** TRL's clipping metrics of the loss type (see {@link Result#clip}). */
  private static Map<String, Double> clipMetrics(
      NDArray ratio, NDArray a, NDArray m, Settings settings) {
    Map<String, Double> out = new LinkedHashMap<>();
    switch (settings.lossType()) {
      case SAPO -> {}
      case CISPO -> {
        NDArray clipped = ratio.gt(settings.epsilonHigh()).logicalAnd(a.gt(0)); // like ratio
        out.put("cispo_clip_ratio", globalMaskedMean(asType(clipped, m), m));
      }
      default -> {
        NDArray low = ratio.lt(1 - settings.epsilonLow()).logicalAnd(a.lt(0)); // like ratio
        NDArray high = ratio.gt(1 + settings.epsilonHigh()).logicalAnd(a.gt(0));
        out.put("clip_ratio/low_mean", globalMaskedMean(asType(low, m), m));
        out.put("clip_ratio/high_mean", globalMaskedMean(asType(high, m), m));
        out.put("clip_ratio/region_mean", globalMaskedMean(asType(low.logicalOr(high), m), m));
      }
    }
    return out;
  }

  /**
   * TRL's {@code global_masked_mean} on one process: {@code sum(x*m)/max(sum m, 1)} for (B, T)
   * values, the plain mean over sequences for (B, 1) values (sequence-level ratios).
   */
  static double globalMaskedMean(NDArray x, NDArray mask) {
    if (x.getShape().get(1) == 1) {
      return scalar(x.sum()) / Math.max(x.getShape().get(0), 1);
    }
    return scalar(x.mul(mask).sum()) / Math.max(scalar(mask.sum()), 1.0);
  }

  private static NDArray asType(NDArray bool, NDArray like) {
    return bool.toType(like.getDataType(), false);
  }

  private static double scalar(NDArray x) {
    return x.toType(DataType.FLOAT64, false).getDouble();
  }
}

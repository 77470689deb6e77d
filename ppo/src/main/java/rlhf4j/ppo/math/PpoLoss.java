package rlhf4j.ppo.math;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import rlhf4j.policy.model.Masked;
import rlhf4j.policy.model.Scalars;

/**
 * The clipped PPO objective of TRL's classic {@code PPOTrainer.loss}: clipped policy loss, clipped
 * value loss around the old values, {@code loss = pgLoss + vfCoef * vfLoss}, no entropy bonus.
 * Differentiable with respect to the new log-probs and the value predictions.
 */
public final class PpoLoss {

  private PpoLoss() {}

  /**
   * Loss hyper-parameters (TRL names in brackets): a view of {@code PpoConfig}'s loss fields
   * ({@code PpoConfig.lossSettings()}), which validates them; this record does not check them
   * again.
   *
   * @param clipRange policy ratio clip epsilon ({@code cliprange}, 0.2)
   * @param valueClipRange absolute value clip around the old values ({@code cliprange_value}, 0.2)
   * @param vfCoef value loss weight ({@code vf_coef}, 0.1)
   * @param ratioThreshold the loss is multiplied by 0 when the masked mean ratio exceeds it ({@code
   *     ratio_threshold}, 10)
   */
  public record Settings(
      double clipRange, double valueClipRange, double vfCoef, double ratioThreshold) {}

  /**
   * Clipped policy loss.
   *
   * @param pgLoss () {@code masked_mean(max(pgLoss1, pgLoss2))}
   * @param clipFrac () fraction of masked tokens where the clipped term is the larger one
   * @param ratio (B, T) {@code exp(logProbs - oldLogProbs)}, with the graph
   */
  public record Policy(NDArray pgLoss, NDArray clipFrac, NDArray ratio) {}

  /**
   * Clipped value loss.
   *
   * @param vfLoss () {@code 0.5 * masked_mean(max(vfLoss1, vfLoss2))}, not yet scaled by vfCoef
   * @param clipFrac () fraction of masked tokens where the clipped error is the larger one
   */
  public record Value(NDArray vfLoss, NDArray clipFrac) {}

  /**
   * Everything {@link #compute} produces; all scalars are 0-d arrays.
   *
   * @param loss () {@code pgLoss + vfCoef * vfLoss} to back-propagate (0 when {@code skipped})
   * @param pgLoss () policy loss, TRL {@code loss/policy}
   * @param vfLoss () unscaled value loss, TRL {@code loss/value}
   * @param pgClipFrac () TRL {@code policy/clipfrac}
   * @param vfClipFrac () TRL {@code val/clipfrac}
   * @param approxKl () {@code 0.5 * masked_mean((logp - oldLogp)^2)}, TRL {@code policy/approxkl}
   * @param policyKl () {@code masked_mean(oldLogp - logp)}, TRL {@code policy/policykl}
   * @param ratio (B, T) probability ratios, no gradient
   * @param ratioMean masked mean of {@code ratio}
   * @param skipped whether {@code ratioMean > ratioThreshold} zeroed the losses
   */
  public record Result(
      NDArray loss,
      NDArray pgLoss,
      NDArray vfLoss,
      NDArray pgClipFrac,
      NDArray vfClipFrac,
      NDArray approxKl,
      NDArray policyKl,
      NDArray ratio,
      double ratioMean,
      boolean skipped) {}

  /**
   * Clipped policy loss: {@code pgLoss1 = -A * ratio}, {@code pgLoss2 = -A * clip(ratio, 1 - eps, 1
   * + eps)}, masked mean of the element-wise max.
   *
   * @param logProbs (B, T) new log-probs of the sampled tokens, with the graph
   * @param oldLogProbs (B, T) rollout log-probs
   * @param advantages (B, T) whitened advantages
   * @param mask (B, T)
   */
  public static Policy policy(
      NDArray logProbs, NDArray oldLogProbs, NDArray advantages, NDArray mask, double clipRange) {
    NDArray ratio = logProbs.sub(oldLogProbs).exp(); // (B, T)
    NDArray negAdvantages = advantages.neg(); // (B, T)
    NDArray pgLoss1 = negAdvantages.mul(ratio); // (B, T)
    NDArray pgLoss2 = negAdvantages.mul(ratio.clip(1 - clipRange, 1 + clipRange)); // (B, T)
    NDArray pgLoss = Masked.mean(NDArrays.maximum(pgLoss1, pgLoss2), mask); // ()
    NDArray clipFrac = Masked.mean(asFloat(pgLoss2.gt(pgLoss1), pgLoss1), mask); // ()
    return new Policy(pgLoss, clipFrac, ratio);
  }

  /**
   * Clipped value loss: {@code vpredClipped = clip(vpreds, oldValues - c, oldValues + c)}, {@code
   * 0.5 * masked_mean(max((vpreds - R)^2, (vpredClipped - R)^2))}.
   *
   * @param vpreds (B, T) new value predictions, with the graph
   * @param oldValues (B, T) masked rollout values ({@link Gae.Result#values()})
   * @param returns (B, T)
   * @param mask (B, T)
   */
  public static Value value(
      NDArray vpreds, NDArray oldValues, NDArray returns, NDArray mask, double valueClipRange) {
    NDArray lower = oldValues.sub(valueClipRange); // (B, T)
    NDArray upper = oldValues.add(valueClipRange); // (B, T)
    NDArray vpredClipped = NDArrays.maximum(NDArrays.minimum(vpreds, upper), lower); // (B, T)
    NDArray vfLoss1 = vpreds.sub(returns).square(); // (B, T)
    NDArray vfLoss2 = vpredClipped.sub(returns).square(); // (B, T)
    NDArray vfLoss = Scalars.mul(Masked.mean(NDArrays.maximum(vfLoss1, vfLoss2), mask), 0.5); // ()
    NDArray clipFrac = Masked.mean(asFloat(vfLoss2.gt(vfLoss1), vfLoss1), mask); // ()
    return new Value(vfLoss, clipFrac);
  }

  /**
   * The full minibatch loss with TRL's diagnostics and ratio-threshold guard.
   *
   * @param logProbs (B, T) new log-probs, with the graph
   * @param oldLogProbs (B, T) rollout log-probs
   * @param vpreds (B, T) new value predictions, with the graph
   * @param oldValues (B, T) masked rollout values
   * @param advantages (B, T) whitened advantages
   * @param returns (B, T)
   * @param mask (B, T)
   */
  public static Result compute(
      NDArray logProbs,
      NDArray oldLogProbs,
      NDArray vpreds,
      NDArray oldValues,
      NDArray advantages,
      NDArray returns,
      NDArray mask,
      Settings settings) {
    Value value = value(vpreds, oldValues, returns, mask, settings.valueClipRange());
    Policy policy = policy(logProbs, oldLogProbs, advantages, mask, settings.clipRange());
    NDArray pgLoss = policy.pgLoss(); // ()
    NDArray vfLoss = value.vfLoss(); // ()
    NDArray loss = pgLoss.add(Scalars.mul(vfLoss, settings.vfCoef())); // ()

    NDArray ratio = policy.ratio().stopGradient(); // (B, T)
    double ratioMean = Masked.scalar(Masked.mean(ratio, mask));
    boolean skipped = ratioMean > settings.ratioThreshold();
    if (skipped) {
      pgLoss = Scalars.mul(pgLoss, 0);
      vfLoss = Scalars.mul(vfLoss, 0);
      loss = Scalars.mul(loss, 0);
    }
    NDArray logRatio = logProbs.stopGradient().sub(oldLogProbs); // (B, T)
    NDArray approxKl = Masked.mean(logRatio.square(), mask).mul(0.5); // ()
    NDArray policyKl = Masked.mean(logRatio.neg(), mask); // ()
    return new Result(
        loss,
        pgLoss,
        vfLoss,
        policy.clipFrac(),
        value.clipFrac(),
        approxKl,
        policyKl,
        ratio,
        ratioMean,
        skipped);
  }

  private static NDArray asFloat(NDArray bool, NDArray like) {
    return bool.toType(like.getDataType(), false);
  }
}

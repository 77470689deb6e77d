package rlhf4j.ppo.reinforce;

/**
 * REINFORCE++ advantages exactly as OpenRLHF v0.11's {@code
 * ExperienceMaker.compute_advantages_and_returns} computes them for the estimators {@code
 * reinforce} and {@code reinforce_baseline}:
 *
 * <ol>
 *   <li>baseline variant only: {@code s_i -= mean over the prompt's samples} (plain mean);
 *   <li>{@code s_i = clamp(s_i, clipLow, clipHigh)} (in {@code compute_reward}, so after the
 *       baseline);
 *   <li>{@code kl_t = clamp(oldLogp_t - refLogp_t, -10, 10)} (k1, {@code compute_approx_kl});
 *   <li>{@code r_t = -klCoef * kl_t}, plus {@code s_i} on the row's last unmasked position (the
 *       last position when the mask is empty);
 *   <li>{@code G_t = m_t r_t + gamma * G_{t+1}} ({@code get_cumulative_returns}), {@code A = G};
 *   <li>whitening over all unmasked tokens of the batch: {@code mu = sum(A m)/sum(m)}, {@code var =
 *       sum((A - mu)^2 m)/sum(m)} (no Bessel correction), {@code A = (A - mu) / sqrt(max(var,
 *       1e-8))} at every position, masked ones included.
 * </ol>
 */
public final class ReinforcePlusPlus {

  /** The floor under the variance before the reciprocal square root (OpenRLHF {@code 1e-8}). */
  public static final double VAR_FLOOR = 1e-8;

  /** OpenRLHF clamps every KL estimate to [-10, 10]. */
  public static final double KL_CLAMP = 10.0;

  private ReinforcePlusPlus() {}

  /**
   * Everything the estimator produces.
   *
   * @param scores (B) scores after the baseline and the clip
   * @param rewards (B, T) per-token rewards before masking
   * @param returns (B, T) discounted returns
   * @param advantages (B, T) whitened returns
   * @param mean masked mean of the returns
   * @param rstd the factor the centred returns were multiplied by
   */
  public record Result(
      double[] scores,
      double[][] rewards,
      double[][] returns,
      double[][] advantages,
      double mean,
      double rstd) {}

  /**
   * The advantages of one batch.
   *
   * @param scores (B) one score per completion, prompts' samples contiguous
   * @param oldLogProbs (B, T) log-probs at generation time
   * @param refLogProbs (B, T) reference log-probs
   * @param mask (B, T) action mask
   * @param config hyper-parameters
   */
  public static Result compute(
      double[] scores,
      double[][] oldLogProbs,
      double[][] refLogProbs,
      double[][] mask,
      ReinforceConfig config) {
    int b = scores.length;
    if (oldLogProbs.length != b || refLogProbs.length != b || mask.length != b) {
      throw new IllegalArgumentException(
          "scores, log-probs and mask must have the same number of rows, got "
              + b
              + ", "
              + oldLogProbs.length
              + ", "
              + refLogProbs.length
              + ", "
              + mask.length);
    }
    int g = config.samplesPerPrompt();
    if (b % g != 0) {
      throw new IllegalArgumentException(
          "samplesPerPrompt " + g + " must divide the batch of " + b + " completions");
    }
    double[] s = scores.clone(); // (B)
    if (config.baseline()) {
      for (int start = 0; start < b; start += g) {
        double mean = 0;
        for (int i = start; i < start + g; i++) {
          mean += scores[i];
        }
        mean /= g;
        for (int i = start; i < start + g; i++) {
          s[i] = scores[i] - mean;
        }
      }
    }
    double klCoef = Math.max(config.klCoef(), 0.0);
    double[][] rewards = new double[b][];
    double[][] returns = new double[b][];
    double sum = 0;
    double count = 0;
    for (int i = 0; i < b; i++) {
      s[i] = Math.min(Math.max(s[i], config.rewardClipLow()), config.rewardClipHigh());
      int t = mask[i].length;
      int last = t - 1;
      for (int k = t - 1; k >= 0; k--) {
        if ((long) mask[i][k] != 0) {
          last = k;
          break;
        }
      }
      rewards[i] = new double[t];
      for (int k = 0; k < t; k++) {
        double kl = oldLogProbs[i][k] - refLogProbs[i][k];
        kl = Math.min(Math.max(kl, -KL_CLAMP), KL_CLAMP);
        rewards[i][k] = -klCoef * kl + (k == last ? s[i] : 0.0);
      }
      returns[i] = new double[t];
      double running = 0;
      for (int k = t - 1; k >= 0; k--) {
        running = mask[i][k] * rewards[i][k] + config.gamma() * running;
        returns[i][k] = running;
        sum += running * mask[i][k];
        count += mask[i][k];
      }
    }
    if (count == 0) {
      throw new IllegalArgumentException(
          "the action mask has no active token in the whole batch; nothing to whiten");
    }
    double mean = sum / count;
    double rstd = 1.0;
    if (config.stdNorm()) {
      double squares = 0;
      for (int i = 0; i < b; i++) {
        for (int k = 0; k < returns[i].length; k++) {
          double d = returns[i][k] - mean;
          squares += d * d * mask[i][k];
        }
      }
      rstd = 1.0 / Math.sqrt(Math.max(squares / count, VAR_FLOOR));
    }
    double[][] advantages = new double[b][];
    for (int i = 0; i < b; i++) {
      advantages[i] = new double[returns[i].length];
      for (int k = 0; k < returns[i].length; k++) {
        advantages[i][k] = (returns[i][k] - mean) * rstd;
      }
    }
    return new Result(s, rewards, returns, advantages, mean, rstd);
  }
}

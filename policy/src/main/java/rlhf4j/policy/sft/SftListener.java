package rlhf4j.policy.sft;

/** Receives training progress every {@link SftConfig#logEvery()} steps and after the last step. */
@FunctionalInterface
public interface SftListener {

  /**
   * Called after optimizer step {@code step} (1-based).
   *
   * @param step optimizer steps done so far
   * @param loss mean of the per-step losses since the previous call
   * @param learningRate the rate the last step used
   * @param tokensPerSecond real (unpadded) input tokens per second since the previous call
   */
  void onStep(long step, double loss, double learningRate, double tokensPerSecond);

  /** A listener that ignores everything. */
  static SftListener none() {
    return (step, loss, lr, tokensPerSecond) -> {};
  }
}

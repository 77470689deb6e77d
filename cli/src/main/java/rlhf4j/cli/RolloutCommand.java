package rlhf4j.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.ppo.PolicyTrainer;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.RewardFunctions;
import rlhf4j.rollout.GenerationConfig;

/** What {@code rlhf4j grpo} and {@code rloo} share: prompts, rollouts and reward functions. */
abstract class RolloutCommand extends PolicyCommand {

  /** The trainer's sampling temperature. */
  abstract double temperature(Context c);

  /** Runs the trainer on the prompts with the reward functions. */
  abstract void train(
      PolicyTrainer trainer,
      List<long[]> prompts,
      List<RewardFunction> funcs,
      long totalSteps,
      PolicyTrainer.StepCallback afterStep);

  /** The rollout settings of the config at the trainer's temperature. */
  GenerationConfig generation(Context c) {
    return PpoCommand.generation(c.config().generation(), temperature(c), c.model(), c.tokenizer());
  }

  @Override
  final void train(
      Context c, PolicyTrainer trainer, long totalSteps, PolicyTrainer.StepCallback afterStep)
      throws IOException {
    Tokenizer tokenizer = c.tokenizer();
    List<long[]> prompts =
        PpoCommand.prompts(c.config().prompts(), tokenizer, c.model().config().vocabSize());
    List<RewardFunction> loaded = new ArrayList<>();
    List<RewardFunction> funcs = new ArrayList<>();
    try {
      for (PpoRunConfig.Reward r : c.config().rewardFuncs()) {
        RewardFunction f = RewardFunctions.load(r.name(), r.options());
        loaded.add(f);
        funcs.add(RewardFunction.named(r.name(), f));
      }
      train(trainer, prompts, funcs, totalSteps, afterStep);
    } finally {
      // a reward model or an HTTP client is released when the run ends
      for (RewardFunction f : loaded) {
        if (f instanceof AutoCloseable a) {
          try {
            a.close();
          } catch (Exception e) {
            throw new IOException("cannot close reward " + f.name(), e);
          }
        }
      }
    }
  }
}

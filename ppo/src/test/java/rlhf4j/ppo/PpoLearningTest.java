package rlhf4j.ppo;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.reward.RewardFunction;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.sampling.SamplingConfig;

/**
 * PPO learns: on a tiny random GPT-2 with LoRA, a reward for emitting target tokens raises the mean
 * reward clearly within a fixed number of steps, while the KL penalty keeps the KL to the reference
 * bounded. Seeds 1, 2 and 3 all rise by more than 0.3 (from 0.14-0.24 to 0.52-0.63) with KL at most
 * 10.6 nats per response; seed 1 is the one tested.
 */
class PpoLearningTest {
  static final int VOCAB = 32;

  /** Target tokens 4..7: an eighth of the vocabulary, so a random policy scores about 0.125. */
  static final long FIRST_TARGET = 4;

  static final long LAST_TARGET = 7;

  /** GPT-2 shape: vocab 32, width 32, 2 layers, 2 heads, 32 positions, no EOS. */
  static ModelConfig tinyGpt2() {
    return Presets.gpt2(VOCAB, 32, 2, 2, 32).toBuilder().bosTokenId(-1).eosTokenId(-1).build();
  }

  /** The fraction of response tokens that are target tokens. */
  static float[] targetFraction(List<RewardFunction.Sample> batch) {
    float[] s = new float[batch.size()]; // (B)
    for (int i = 0; i < s.length; i++) {
      long[] r = batch.get(i).responseIds();
      int hits = 0;
      for (long id : r) {
        if (id >= FIRST_TARGET && id <= LAST_TARGET) {
          hits++;
        }
      }
      s[i] = (float) hits / r.length;
    }
    return s;
  }

  static List<long[]> prompts() {
    List<long[]> prompts = new ArrayList<>();
    SplittableRandom rng = new SplittableRandom(11);
    for (int i = 0; i < 64; i++) {
      long[] p = new long[2 + rng.nextInt(3)];
      for (int j = 0; j < p.length; j++) {
        p[j] = 1 + rng.nextInt(VOCAB - 1);
      }
      prompts.add(p);
    }
    return prompts;
  }

  /** Mean raw reward and KL per step. */
  static List<double[]> run(
      PpoConfig config, List<String> targets, int maxNewTokens, int steps, RewardFunction reward) {
    LoraConfig lora = LoraConfig.builder().r(8).loraAlpha(16).targetModules(targets).build();
    List<double[]> curve = new ArrayList<>(); // (score, kl)
    try (CausalLM model = CausalLM.random(tinyGpt2(), 3);
        LoraModel policy = LoraModel.inject(model, lora, 4);
        NDManager m = NDManager.newBaseManager();
        ValueHead head = ValueHead.create(m, model.config().hiddenSize(), true, 0)) {
      PpoTrainer trainer =
          PpoTrainerTest.builder(model, policy, head, config)
              .generation(
                  GenerationConfig.builder()
                      .maxNewTokens(maxNewTokens)
                      .sampling(SamplingConfig.ofSeed(0))
                      .build())
              .listener(
                  (step, stats) ->
                      curve.add(
                          new double[] {stats.get("objective/scores"), stats.get("objective/kl")}))
              .build();
      trainer.train(prompts(), reward, steps, null);
      trainer.optimizer().close();
    }
    return curve;
  }

  static String format(List<double[]> curve) {
    StringBuilder sb = new StringBuilder("step mean_reward kl\n");
    for (int i = 0; i < curve.size(); i++) {
      sb.append(String.format("%2d %.4f %.4f%n", i + 1, curve.get(i)[0], curve.get(i)[1]));
    }
    return sb.toString();
  }

  static double mean(List<double[]> curve, int from, int to) {
    double s = 0;
    for (int i = from; i < to; i++) {
      s += curve.get(i)[0];
    }
    return s / (to - from);
  }

  @Test
  void meanRewardRisesClearlyWhileKlStaysBounded() {
    PpoConfig config =
        PpoConfig.builder()
            .batchSize(16)
            .miniBatchSize(8)
            .ppoEpochs(4)
            .learningRate(2e-2)
            .initKlCoef(0.05)
            .seed(1)
            .build();
    // lm_head too: in a random model the final LayerNorm and the 0.02-std tied embeddings cap the
    // logit range, so adapters on the blocks alone can hardly move the output distribution
    List<double[]> curve =
        run(
            config,
            List.of("c_attn", "c_proj", "c_fc", "lm_head"),
            8,
            20,
            PpoLearningTest::targetFraction);
    String table = format(curve);
    System.out.print(table);
    int n = curve.size();
    assertTrue(mean(curve, n - 3, n) >= mean(curve, 0, 3) + 0.2, "reward must rise:\n" + table);
    for (double[] c : curve) {
      // a policy emitting only target tokens would be at about 8 * ln(8) = 16.6 nats
      assertTrue(Double.isFinite(c[1]) && c[1] < 15, "KL must stay bounded:\n" + table);
    }
  }
}

package rlhf4j.distributed;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ResponseBatch;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.LocalRolloutSource;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.sampling.SamplingConfig;

/**
 * Not a test: rollout tokens/s of the local source (generation + reference pass, as a trainer step
 * does) against the Spark source on local[1] and local[2] (generation, reference and reward on the
 * executors). Run by hand: {@code java -cp ... rlhf4j.distributed.RolloutThroughput [preset]}.
 */
public final class RolloutThroughput {
  private RolloutThroughput() {}

  public static void main(String[] args) throws Exception {
    String preset = args.length > 0 ? args[0] : "tiny";
    int prompts = 16;
    int steps = 3;
    Path dir = Files.createTempDirectory("rlhf4j-bench-");
    try (CausalLM m = Presets.create(preset, 1)) {
      HfCheckpoint.save(m, dir);
    }
    GenerationConfig gen =
        GenerationConfig.builder().maxNewTokens(32).sampling(SamplingConfig.ofSeed(0)).build();
    List<long[]> batch = SparkRolloutSourceTest.prompts(prompts, 1);
    try (CausalLM model = HfCheckpoint.load(dir);
        LoraModel policy = LoraModel.inject(model, SparkRolloutSourceTest.LORA, 2);
        NDManager manager = NDManager.newBaseManager();
        ValueHead head = ValueHead.create(manager, model.config().hiddenSize(), false, 0)) {
      LocalRolloutSource local = new LocalRolloutSource(model, gen, head, null, 1).perPromptSeeds();
      AdapterSwitchingReference ref = new AdapterSwitchingReference(policy);
      local.rollout(batch, 99); // warm-up
      long tokens = 0;
      long t0 = System.nanoTime();
      for (int s = 0; s < steps; s++) {
        Rollout r = local.rollout(batch, s);
        tokens += r.responseTokens();
        try (NDManager nm = NDManager.newBaseManager()) {
          ResponseBatch b = ResponseBatch.of(nm, r.queries(), r.responses(), 0);
          ref.responseLogProbs(b.ids(), b.attentionMask(), b.queryWidth(), b.responses(), 1.0);
        }
      }
      report(preset + " local source (+ reference pass)", tokens, t0);
      for (String master : new String[] {"local[1]", "local[2]"}) {
        JavaSparkContext spark = new JavaSparkContext(SparkRolloutSource.conf(master));
        try {
          SparkRolloutSource source =
              SparkRolloutSource.builder()
                  .sparkContext(spark)
                  .base(new BaseModelSpec(dir.toString()))
                  .policy(policy)
                  .valueHead(head)
                  .generation(gen)
                  .reward(SparkRolloutSourceTest.LENGTH)
                  .seed(1)
                  .build();
          source.rollout(batch, 99); // warm-up: loads the base once
          tokens = 0;
          t0 = System.nanoTime();
          for (int s = 0; s < steps; s++) {
            tokens += source.rollout(batch, s).responseTokens();
          }
          report(preset + " spark " + master, tokens, t0);
          System.out.println("  last step: " + source.lastRolloutStats());
        } finally {
          spark.stop();
        }
      }
    }
  }

  private static void report(String what, long tokens, long t0) {
    double s = (System.nanoTime() - t0) / 1e9;
    System.out.printf(
        "%-45s %6d tokens in %6.2f s = %8.1f tokens/s%n", what, tokens, s, tokens / s);
  }
}

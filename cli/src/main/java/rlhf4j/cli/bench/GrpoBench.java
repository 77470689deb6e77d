package rlhf4j.cli.bench;

import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.quant.QuantConfig;
import rlhf4j.ppo.RunConfig;
import rlhf4j.ppo.TrainerSetup;
import rlhf4j.ppo.grpo.GrpoConfig;
import rlhf4j.ppo.grpo.GrpoTrainer;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.reward.RewardFunction;

/**
 * {@code rlhf4j bench grpo}: GRPO steps on the workload of {@code bench ppo} (the same preset,
 * prompts, LoRA, toy reward and AdamW), with {@code --generations} completions per prompt and no
 * value head; compare its JSON with {@code bench ppo}'s.
 */
@Command(
    name = "grpo",
    mixinStandardHelpOptions = true,
    description = "Time GRPO steps (rollout, reference pass, update) on bench ppo's workload.")
public final class GrpoBench implements Callable<Integer> {
  @Mixin BenchOptions common;

  @Mixin LengthOptions lengths;

  @Mixin TrainBenchOptions train;

  @Option(
      names = "--batch",
      defaultValue = "8",
      description = "prompts per step (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(
      names = "--generations",
      defaultValue = "4",
      description = "completions per prompt G (default: ${DEFAULT-VALUE})")
  int generations;

  @Option(
      names = "--iterations",
      defaultValue = "1",
      description = "num_iterations mu (default: ${DEFAULT-VALUE})")
  int iterations;

  @Option(
      names = "--mini-batch-size",
      defaultValue = "4",
      description = "completions per forward/backward (default: ${DEFAULT-VALUE})")
  int miniBatchSize;

  @Option(
      names = "--beta",
      defaultValue = "0.04",
      description = "KL weight; 0 skips the reference pass (default: ${DEFAULT-VALUE})")
  double beta;

  @Override
  public Integer call() throws Exception {
    QuantConfig quant = common.quant();
    boolean released = train.releaseFreedMemory();
    common.startEngine();
    long seed = common.seed;
    int promptLen = lengths.promptLen;
    int newTokens = lengths.newTokens;
    try (CausalLM model = common.randomModel(quant);
        LoraModel lora = train.injectLora(model, seed)) {
      long eos = Math.max(0, model.config().eosTokenId());
      List<Map<String, Double>> steps = new ArrayList<>();
      List<Double> rssTrace = new ArrayList<>();
      GrpoConfig config =
          GrpoConfig.builder()
              .numGenerations(generations)
              .numIterations(iterations)
              .beta(beta)
              .learningRate(train.lr)
              .maxCompletionLength(newTokens)
              .build();
      UpdateMemoryProbe probe = train.optimizer();
      try (UpdateMemoryProbe optimizer = probe;
          GrpoTrainer trainer =
              new GrpoTrainer(
                  TrainerSetup.builder()
                      .model(model)
                      .trainable(lora.trainableParameters())
                      .reference(new AdapterSwitchingReference(lora))
                      .optimizer(optimizer)
                      .generation(TrainBenchOptions.generation(newTokens, eos, seed))
                      .padId(eos)
                      .gradientCheckpointing(train.gradientCheckpointing)
                      .listener((s, stats) -> steps.add(new HashMap<>(stats))),
                  config,
                  RunConfig.builder()
                      .batchSize(batch)
                      .miniBatchSize(miniBatchSize)
                      .seed(seed)
                      .build())) {
        List<long[]> prompts =
            BenchPrompts.make(batch, promptLen, model.config().vocabSize(), eos, seed);
        trainer.train(
            prompts,
            List.of(RewardFunction.named("even_tokens", PpoBench::evenTokenReward)),
            train.warmup + train.repeats,
            (t, stats) -> {
              probe.endStep();
              rssTrace.add(BenchSupport.rssMb());
            });
      }
      List<Map<String, Double>> timed = steps.subList(train.warmup, steps.size());
      List<Double> rollout = BenchSupport.column(timed, "time/rollout");
      List<Double> refAndOld = BenchSupport.column(timed, "time/ref_and_old_forward");
      List<Double> update = BenchSupport.column(timed, "time/optimize");
      List<Double> total = new ArrayList<>();
      for (Map<String, Double> s : timed) {
        total.add(s.get("time/total") + s.get("time/rollout") + s.get("time/reward"));
      }
      double completionLength =
          BenchSupport.median(BenchSupport.column(timed, "completions/mean_length"));
      int completions = batch * generations;
      double updateMed = BenchSupport.median(update);
      JsonObject summary = new JsonObject();
      summary.addProperty("grpo_step_s", BenchSupport.round(BenchSupport.median(total)));
      summary.addProperty("grpo_update_s", BenchSupport.round(updateMed));
      summary.addProperty("rollout_s", BenchSupport.round(BenchSupport.median(rollout)));
      summary.addProperty(
          "ref_and_old_logprob_pass_s", BenchSupport.round(BenchSupport.median(refAndOld)));
      summary.addProperty(
          "trained_tokens_per_s",
          BenchSupport.round(
              iterations * completions * (promptLen + completionLength) / updateMed));
      summary.addProperty("completions_per_step", completions);
      BenchSupport.addMemoryFacts(summary, model, quant, train.gradientCheckpointing);
      summary.addProperty(
          "params_trainable",
          lora.trainableParameters().values().stream().mapToLong(a -> a.size()).sum());
      summary.addProperty("reference", beta == 0 ? "none (beta 0)" : "adapter_switch");
      JsonObject report = new JsonObject();
      report.add("summary", summary);
      probe.report(summary, report, train.warmup, released);
      JsonObject phases = new JsonObject();
      phases.add("rollout_s", BenchSupport.summary(rollout));
      phases.add("ref_and_old_forward_s", BenchSupport.summary(refAndOld));
      phases.add("update_s", BenchSupport.summary(update));
      phases.add("step_total_s", BenchSupport.summary(total));
      report.add("grpo", phases);
      JsonObject last = new JsonObject();
      timed.get(timed.size() - 1).forEach(last::addProperty);
      report.add("last_step_stats", last);
      com.google.gson.JsonArray trace = new com.google.gson.JsonArray();
      for (int i = 0; i < rssTrace.size(); i++) {
        JsonObject p = new JsonObject();
        p.addProperty("step", i + 1);
        p.addProperty("rss_mb", BenchSupport.round(rssTrace.get(i)));
        trace.add(p);
      }
      report.add("rss_trace", trace);
      BenchSupport.emit(report, common.json);
    }
    return 0;
  }
}

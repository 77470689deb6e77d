package rlhf4j.cli.bench;

import ai.djl.engine.Engine;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.optim.AdamW;
import rlhf4j.policy.optim.AdamWConfig;
import rlhf4j.policy.optim.LrSchedule;
import rlhf4j.policy.quant.QuantConfig;
import rlhf4j.policy.train.Engines;
import rlhf4j.ppo.RunConfig;
import rlhf4j.ppo.TrainerSetup;
import rlhf4j.ppo.grpo.GrpoConfig;
import rlhf4j.ppo.grpo.GrpoTrainer;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.reward.RewardFunction;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.sampling.SamplingConfig;

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
  @Option(names = "--preset", defaultValue = "small", description = "default: ${DEFAULT-VALUE}")
  String preset;

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

  @Option(names = "--prompt-len", defaultValue = "32", description = "default: ${DEFAULT-VALUE}")
  int promptLen;

  @Option(names = "--new-tokens", defaultValue = "32", description = "default: ${DEFAULT-VALUE}")
  int newTokens;

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

  @Option(names = "--lora-r", defaultValue = "16", description = "default: ${DEFAULT-VALUE}")
  int loraR;

  @Option(names = "--lora-alpha", defaultValue = "32", description = "default: ${DEFAULT-VALUE}")
  double loraAlpha;

  @Option(
      names = "--lora-dropout",
      defaultValue = "0.05",
      description = "default: ${DEFAULT-VALUE}")
  double loraDropout;

  @Option(
      names = "--lora-targets",
      split = ",",
      description =
          "modules to adapt (default: PEFT's for the family: c_attn for GPT-2, q_proj,v_proj for"
              + " Llama and Qwen)")
  List<String> loraTargets;

  @Option(
      names = "--beta",
      defaultValue = "0.04",
      description = "KL weight; 0 skips the reference pass (default: ${DEFAULT-VALUE})")
  double beta;

  @Option(
      names = "--lr",
      defaultValue = "1.41e-5",
      description = "AdamW learning rate (default: ${DEFAULT-VALUE})")
  double lr;

  @Option(names = "--threads", defaultValue = "2", description = "default: ${DEFAULT-VALUE}")
  int threads;

  @Option(
      names = "--gradient-checkpointing",
      description = "recompute each block in the backward instead of keeping its activations")
  boolean gradientCheckpointing;

  @Option(
      names = "--base-dtype",
      defaultValue = "fp32",
      description =
          "storage of the frozen base weights: fp32, fp16 or int8 (default: ${DEFAULT-VALUE})")
  String baseDtype;

  @Option(
      names = "--release-freed-memory",
      description =
          "return freed tensors of 64 KiB or more to the kernel at once (glibc mallopt), so"
              + " update_peak_extra_mb counts live tensors; adds page faults to every phase")
  boolean releaseFreedMemory;

  @Spec CommandSpec spec;

  @Option(names = "--seed", defaultValue = "0", description = "default: ${DEFAULT-VALUE}")
  long seed;

  @Option(
      names = "--warmup",
      defaultValue = "1",
      description = "untimed steps (default: ${DEFAULT-VALUE})")
  int warmup;

  @Option(
      names = "--repeats",
      defaultValue = "3",
      description = "timed steps (default: ${DEFAULT-VALUE})")
  int repeats;

  @Option(names = "--json", paramLabel = "FILE", description = "also write the JSON report here")
  Path json;

  @Override
  public Integer call() throws Exception {
    QuantConfig quant = BenchSupport.quantConfig(spec, baseDtype);
    boolean released = releaseFreedMemory && BenchSupport.releaseFreedMemoryEagerly();
    Engines.configure(threads);
    Engine.getInstance();
    try (CausalLM model = CausalLM.random(Presets.config(preset), seed, quant);
        LoraModel lora =
            LoraModel.inject(
                model,
                LoraConfig.builder()
                    .r(loraR)
                    .loraAlpha(loraAlpha)
                    .loraDropout(loraDropout)
                    .targetModules(loraTargets)
                    .build(),
                seed)) {
      long eos = Math.max(0, model.config().eosTokenId());
      List<Map<String, Double>> steps = new ArrayList<>();
      List<Double> rssTrace = new ArrayList<>();
      GrpoConfig config =
          GrpoConfig.builder()
              .numGenerations(generations)
              .numIterations(iterations)
              .beta(beta)
              .learningRate(lr)
              .maxCompletionLength(newTokens)
              .build();
      UpdateMemoryProbe probe =
          new UpdateMemoryProbe(new AdamW(AdamWConfig.defaults(), LrSchedule.constant(lr)));
      try (UpdateMemoryProbe optimizer = probe;
          GrpoTrainer trainer =
              new GrpoTrainer(
                  TrainerSetup.builder()
                      .model(model)
                      .trainable(lora.trainableParameters())
                      .reference(new AdapterSwitchingReference(lora))
                      .optimizer(optimizer)
                      .generation(
                          GenerationConfig.builder()
                              .maxNewTokens(newTokens)
                              .eosTokenId(eos)
                              .padTokenId(eos)
                              .sampling(
                                  SamplingConfig.builder().temperature(1.0).seed(seed).build())
                              .build())
                      .padId(eos)
                      .gradientCheckpointing(gradientCheckpointing)
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
            warmup + repeats,
            (t, stats) -> {
              probe.endStep();
              rssTrace.add(BenchSupport.rssMb());
            });
      }
      List<Map<String, Double>> timed = steps.subList(warmup, steps.size());
      List<Double> rollout = column(timed, "time/rollout");
      List<Double> refAndOld = column(timed, "time/ref_and_old_forward");
      List<Double> update = column(timed, "time/optimize");
      List<Double> total = new ArrayList<>();
      for (Map<String, Double> s : timed) {
        total.add(s.get("time/total") + s.get("time/rollout") + s.get("time/reward"));
      }
      double completionLength = BenchSupport.median(column(timed, "completions/mean_length"));
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
      BenchSupport.addMemoryFacts(summary, model, quant.baseDtype(), gradientCheckpointing);
      summary.addProperty(
          "params_trainable",
          lora.trainableParameters().values().stream().mapToLong(a -> a.size()).sum());
      summary.addProperty("reference", beta == 0 ? "none (beta 0)" : "adapter_switch");
      JsonObject report = new JsonObject();
      report.add("summary", summary);
      probe.report(summary, report, warmup, released);
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
      BenchSupport.emit(report, json);
    }
    return 0;
  }

  private static List<Double> column(List<Map<String, Double>> rows, String key) {
    List<Double> out = new ArrayList<>();
    for (Map<String, Double> r : rows) {
      out.add(r.get(key));
    }
    return out;
  }
}

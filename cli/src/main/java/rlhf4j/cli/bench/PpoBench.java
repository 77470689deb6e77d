package rlhf4j.cli.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
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
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.optim.AdamW;
import rlhf4j.policy.optim.AdamWConfig;
import rlhf4j.policy.optim.LrSchedule;
import rlhf4j.policy.quant.QuantConfig;
import rlhf4j.policy.train.Engines;
import rlhf4j.ppo.PpoConfig;
import rlhf4j.ppo.PpoTrainer;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.reference.FrozenCopyReference;
import rlhf4j.reference.ReferenceModel;
import rlhf4j.reward.RewardFunction;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.sampling.SamplingConfig;

/**
 * {@code rlhf4j bench ppo}: one PPO step's phases on the yardstick's workload (LoRA on PEFT's
 * default targets, c_attn for GPT-2; a value head, a toy reward: the fraction of even token ids
 * minus 0.5, fixed KL coefficient).
 */
@Command(
    name = "ppo",
    mixinStandardHelpOptions = true,
    description = "Time PPO steps (rollout, log-prob passes, update) on the yardstick's workload.")
public final class PpoBench implements Callable<Integer> {
  @Option(names = "--preset", defaultValue = "small", description = "default: ${DEFAULT-VALUE}")
  String preset;

  @Option(names = "--batch", defaultValue = "8", description = "default: ${DEFAULT-VALUE}")
  int batch;

  @Option(names = "--prompt-len", defaultValue = "32", description = "default: ${DEFAULT-VALUE}")
  int promptLen;

  @Option(names = "--new-tokens", defaultValue = "32", description = "default: ${DEFAULT-VALUE}")
  int newTokens;

  @Option(names = "--ppo-epochs", defaultValue = "1", description = "default: ${DEFAULT-VALUE}")
  int ppoEpochs;

  @Option(
      names = "--mini-batch-size",
      defaultValue = "2",
      description = "default: ${DEFAULT-VALUE}")
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
      names = "--kl-coef",
      defaultValue = "0.05",
      description = "fixed KL coefficient (default: ${DEFAULT-VALUE})")
  double klCoef;

  @Option(
      names = "--lr",
      defaultValue = "1.41e-5",
      description = "AdamW learning rate (default: ${DEFAULT-VALUE})")
  double lr;

  @Option(
      names = "--separate-ref",
      description = "reference = a frozen copy of the base weights instead of adapters off")
  boolean separateRef;

  @Option(names = "--threads", defaultValue = "2", description = "default: ${DEFAULT-VALUE}")
  int threads;

  @Option(
      names = "--base-dtype",
      defaultValue = "fp32",
      description =
          "storage of the frozen base weights: fp32, fp16 or int8 (default: ${DEFAULT-VALUE})")
  String baseDtype;

  @Option(
      names = "--gradient-checkpointing",
      description = "recompute each block in the backward instead of keeping its activations")
  boolean gradientCheckpointing;

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

  @Option(
      names = "--matmul-seconds",
      defaultValue = "1.5",
      description = "default: ${DEFAULT-VALUE}")
  double matmulSeconds;

  @Option(names = "--json", paramLabel = "FILE", description = "also write the JSON report here")
  Path json;

  /** The yardstick's toy reward: fraction of even token ids in the response, minus 0.5. */
  static float[] evenTokenReward(List<RewardFunction.Sample> batch) {
    float[] s = new float[batch.size()];
    for (int i = 0; i < s.length; i++) {
      long[] r = batch.get(i).responseIds();
      long even = 0;
      for (long id : r) {
        even += id % 2 == 0 ? 1 : 0;
      }
      s[i] = (float) even / Math.max(1, r.length) - 0.5f;
    }
    return s;
  }

  @Override
  public Integer call() throws Exception {
    QuantConfig quant = BenchSupport.quantConfig(spec, baseDtype);
    boolean released = releaseFreedMemory && BenchSupport.releaseFreedMemoryEagerly();
    Engines.configure(threads);
    Engine.getInstance();
    double peakStart = BenchSupport.matmulPeakGflops(matmulSeconds, 1024);
    try (CausalLM model = CausalLM.random(Presets.config(preset), seed, quant);
        NDManager m = NDManager.newBaseManager()) {
      FrozenCopyReference copy = separateRef ? FrozenCopyReference.copyOf(model) : null;
      LoraModel lora =
          LoraModel.inject(
              model,
              LoraConfig.builder()
                  .r(loraR)
                  .loraAlpha(loraAlpha)
                  .loraDropout(loraDropout)
                  .targetModules(loraTargets)
                  .build(),
              seed);
      ReferenceModel reference = separateRef ? copy : new AdapterSwitchingReference(lora);
      ValueHead head = ValueHead.create(m, model.config().hiddenSize(), false, seed);
      long eos = Math.max(0, model.config().eosTokenId());
      PpoConfig config =
          PpoConfig.builder()
              .batchSize(batch)
              .miniBatchSize(miniBatchSize)
              .ppoEpochs(ppoEpochs)
              .learningRate(lr)
              .adaptiveKl(false)
              .initKlCoef(klCoef)
              .seed(seed)
              .build();
      List<Map<String, Double>> steps = new ArrayList<>();
      UpdateMemoryProbe probe =
          new UpdateMemoryProbe(new AdamW(AdamWConfig.defaults(), LrSchedule.constant(lr)));
      PpoTrainer trainer =
          PpoTrainer.builder()
              .model(model)
              .trainable(lora.trainableParameters())
              .valueHead(head)
              .reference(reference)
              .config(config)
              .optimizer(probe)
              .generation(
                  GenerationConfig.builder()
                      .maxNewTokens(newTokens)
                      .eosTokenId(eos)
                      .padTokenId(eos)
                      .sampling(SamplingConfig.builder().temperature(1.0).seed(seed).build())
                      .build())
              .padId(eos)
              .gradientCheckpointing(gradientCheckpointing)
              .listener((s, stats) -> steps.add(new HashMap<>(stats)))
              .build();
      List<long[]> prompts =
          BenchPrompts.make(batch, promptLen, model.config().vocabSize(), eos, seed);
      List<Integer> widths = new ArrayList<>();
      List<Double> rssTrace = new ArrayList<>();
      trainer.train(
          prompts,
          PpoBench::evenTokenReward,
          warmup + repeats,
          (t, rollout, stats) -> {
            probe.endStep();
            widths.add(rollout.responses().stream().mapToInt(r -> r.length).max().orElse(0));
            rssTrace.add(BenchSupport.rssMb());
          });
      List<Map<String, Double>> timed = steps.subList(warmup, steps.size());
      double peakEnd = BenchSupport.matmulPeakGflops(matmulSeconds, 1024);
      double peak = Math.max(peakStart, peakEnd);

      List<Double> rollout = column(timed, "time/ppo/rollout");
      List<Double> policyFwd = column(timed, "time/ppo/forward_pass");
      List<Double> refFwd = column(timed, "time/ppo/ref_forward");
      List<Double> update = column(timed, "time/ppo/optimize_step");
      List<Double> total = new ArrayList<>();
      for (int i = 0; i < timed.size(); i++) {
        total.add(
            timed.get(i).get("time/ppo/total")
                + rollout.get(i)
                + timed.get(i).get("time/ppo/reward"));
      }
      double respWidth = 0;
      for (int w : widths.subList(warmup, widths.size())) {
        respWidth = Math.max(respWidth, w);
      }
      long seqLen = promptLen + (long) respWidth;
      double loraFlops = 0;
      for (String path : lora.adaptedModules(lora.activeAdapter())) {
        rlhf4j.policy.model.Linear l =
            model.linears().stream().filter(x -> x.path().equals(path)).findFirst().orElseThrow();
        loraFlops += 2.0 * loraR * (l.inFeatures() + l.outFeatures());
      }
      // forward + backward with frozen base weights, as the yardstick counts it
      double fwdBase = BenchSupport.forwardFlops(model, batch, seqLen, 0, (long) respWidth, 0);
      double attention =
          4.0
              * batch
              * model.config().numLayers()
              * seqLen
              * seqLen
              * BenchSupport.attentionWidth(model.config());
      double loraFwd = batch * seqLen * loraFlops;
      double updateFlops = ppoEpochs * (2 * fwdBase + attention + loraFwd + 2 * loraFwd);
      double updateMed = BenchSupport.median(update);
      double updateGflops = updateFlops / 1e9 / updateMed;

      JsonObject summary = new JsonObject();
      summary.addProperty("ppo_step_s", BenchSupport.round(BenchSupport.median(total)));
      summary.addProperty("ppo_update_s", BenchSupport.round(updateMed));
      summary.addProperty("ref_logprob_pass_s", BenchSupport.round(BenchSupport.median(refFwd)));
      summary.addProperty(
          "policy_logprob_pass_s", BenchSupport.round(BenchSupport.median(policyFwd)));
      summary.addProperty(
          "trained_tokens_per_s", BenchSupport.round(ppoEpochs * batch * seqLen / updateMed));
      summary.addProperty(
          "gen_tokens_per_s_kv_cache",
          BenchSupport.round(BenchSupport.median(column(timed, "tokens/rollout_per_s"))));
      summary.addProperty("update_gflops", BenchSupport.round(updateGflops));
      summary.addProperty("matmul_peak_gflops", BenchSupport.round(peak));
      summary.addProperty(
          "update_fraction_of_matmul_peak", BenchSupport.round(updateGflops / peak));
      BenchSupport.addMemoryFacts(summary, model, quant.baseDtype(), gradientCheckpointing);
      summary.addProperty(
          "params_total",
          model.parameterCount()
              + lora.trainableReport().trainable()
              + head.parameters().values().stream().mapToLong(a -> a.size()).sum());
      summary.addProperty(
          "params_trainable",
          trainer.trainableParameters().values().stream().mapToLong(a -> a.size()).sum());
      summary.addProperty("reference", separateRef ? "separate_copy" : "adapter_switch");
      JsonObject report = new JsonObject();
      report.add("summary", summary);
      probe.report(summary, report, warmup, released);
      JsonObject phases = new JsonObject();
      phases.add("rollout_s", BenchSupport.summary(rollout));
      phases.add("policy_forward_s", BenchSupport.summary(policyFwd));
      phases.add("ref_forward_s", BenchSupport.summary(refFwd));
      phases.add("update_s", BenchSupport.summary(update));
      phases.add("step_total_s", BenchSupport.summary(total));
      phases.addProperty("response_width", respWidth);
      phases.addProperty("update_analytic_gflop", BenchSupport.round(updateFlops / 1e9));
      report.add("ppo", phases);
      JsonObject last = new JsonObject();
      timed.get(timed.size() - 1).forEach(last::addProperty);
      report.add("last_step_stats", last);
      // RSS after steps 1, ~10%, ..., last: flat means no native leak across steps
      com.google.gson.JsonArray trace = new com.google.gson.JsonArray();
      int points = Math.min(11, rssTrace.size());
      for (int i = 0; i < points; i++) {
        int at =
            points == 1 ? 0 : (int) Math.round((double) i * (rssTrace.size() - 1) / (points - 1));
        JsonObject p = new JsonObject();
        p.addProperty("step", at + 1);
        p.addProperty("rss_mb", BenchSupport.round(rssTrace.get(at)));
        trace.add(p);
      }
      report.add("rss_trace", trace);
      BenchSupport.emit(report, json);
      if (copy != null) {
        copy.close();
      }
      lora.close();
      head.close();
      probe.close();
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

package rlhf4j.cli.bench;

import ai.djl.ndarray.NDManager;
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
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.quant.QuantConfig;
import rlhf4j.ppo.PpoConfig;
import rlhf4j.ppo.PpoTrainer;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.reference.FrozenCopyReference;
import rlhf4j.reference.ReferenceModel;
import rlhf4j.reward.RewardFunction;

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
  @Mixin BenchOptions common;

  @Mixin LengthOptions lengths;

  @Mixin TrainBenchOptions train;

  @Mixin MatmulPeakOptions peak;

  @Option(
      names = "--batch",
      defaultValue = "8",
      description = "rollouts (prompts) per PPO step (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(
      names = "--ppo-epochs",
      defaultValue = "1",
      description = "passes over each step's rollouts (default: ${DEFAULT-VALUE})")
  int ppoEpochs;

  @Option(
      names = "--mini-batch-size",
      defaultValue = "2",
      description = "rollouts per forward/backward (default: ${DEFAULT-VALUE})")
  int miniBatchSize;

  @Option(
      names = "--kl-coef",
      defaultValue = "0.05",
      description = "fixed KL coefficient (default: ${DEFAULT-VALUE})")
  double klCoef;

  @Option(
      names = "--separate-ref",
      description = "reference = a frozen copy of the base weights instead of adapters off")
  boolean separateRef;

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
    QuantConfig quant = common.quant();
    boolean released = train.releaseFreedMemory();
    common.startEngine();
    double peakStart = peak.measure();
    long seed = common.seed;
    int promptLen = lengths.promptLen;
    try (CausalLM model = common.randomModel(quant);
        NDManager m = NDManager.newBaseManager()) {
      FrozenCopyReference copy = separateRef ? FrozenCopyReference.copyOf(model) : null;
      LoraModel lora = train.injectLora(model, seed);
      ReferenceModel reference = separateRef ? copy : new AdapterSwitchingReference(lora);
      ValueHead head = ValueHead.create(m, model.config().hiddenSize(), false, seed);
      long eos = Math.max(0, model.config().eosTokenId());
      PpoConfig config =
          PpoConfig.builder()
              .batchSize(batch)
              .miniBatchSize(miniBatchSize)
              .ppoEpochs(ppoEpochs)
              .learningRate(train.lr)
              .adaptiveKl(false)
              .initKlCoef(klCoef)
              .seed(seed)
              .build();
      List<Map<String, Double>> steps = new ArrayList<>();
      UpdateMemoryProbe probe = train.optimizer();
      PpoTrainer trainer =
          PpoTrainer.builder()
              .model(model)
              .trainable(lora.trainableParameters())
              .valueHead(head)
              .reference(reference)
              .config(config)
              .optimizer(probe)
              .generation(TrainBenchOptions.generation(lengths.newTokens, eos, seed))
              .padId(eos)
              .gradientCheckpointing(train.gradientCheckpointing)
              .listener((s, stats) -> steps.add(new HashMap<>(stats)))
              .build();
      List<long[]> prompts =
          BenchPrompts.make(batch, promptLen, model.config().vocabSize(), eos, seed);
      List<Integer> widths = new ArrayList<>();
      List<Double> rssTrace = new ArrayList<>();
      trainer.train(
          prompts,
          PpoBench::evenTokenReward,
          train.warmup + train.repeats,
          (t, rollout, stats) -> {
            probe.endStep();
            widths.add(rollout.responses().stream().mapToInt(r -> r.length).max().orElse(0));
            rssTrace.add(BenchSupport.rssMb());
          });
      List<Map<String, Double>> timed = steps.subList(train.warmup, steps.size());
      double peakEnd = peak.measure();
      double peakGflops = Math.max(peakStart, peakEnd);

      List<Double> rollout = BenchSupport.column(timed, "time/ppo/rollout");
      List<Double> policyFwd = BenchSupport.column(timed, "time/ppo/forward_pass");
      List<Double> refFwd = BenchSupport.column(timed, "time/ppo/ref_forward");
      List<Double> update = BenchSupport.column(timed, "time/ppo/optimize_step");
      List<Double> total = new ArrayList<>();
      for (int i = 0; i < timed.size(); i++) {
        total.add(
            timed.get(i).get("time/ppo/total")
                + rollout.get(i)
                + timed.get(i).get("time/ppo/reward"));
      }
      double respWidth = 0;
      for (int w : widths.subList(train.warmup, widths.size())) {
        respWidth = Math.max(respWidth, w);
      }
      long seqLen = promptLen + (long) respWidth;
      double loraFlops = 0;
      for (String path : lora.adaptedModules(lora.activeAdapter())) {
        rlhf4j.policy.model.Linear l =
            model.linears().stream().filter(x -> x.path().equals(path)).findFirst().orElseThrow();
        loraFlops += 2.0 * train.loraR * (l.inFeatures() + l.outFeatures());
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
          BenchSupport.round(
              BenchSupport.median(BenchSupport.column(timed, "tokens/rollout_per_s"))));
      summary.addProperty("update_gflops", BenchSupport.round(updateGflops));
      summary.addProperty("matmul_peak_gflops", BenchSupport.round(peakGflops));
      summary.addProperty(
          "update_fraction_of_matmul_peak", BenchSupport.round(updateGflops / peakGflops));
      BenchSupport.addMemoryFacts(summary, model, quant, train.gradientCheckpointing);
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
      probe.report(summary, report, train.warmup, released);
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
      BenchSupport.emit(report, common.json);
      if (copy != null) {
        copy.close();
      }
      lora.close();
      head.close();
      probe.close();
    }
    return 0;
  }
}

package rlhf4j.cli.bench;

import com.google.gson.JsonObject;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.quant.QuantConfig;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.Generator;
import rlhf4j.rollout.sampling.SamplingConfig;

/** {@code rlhf4j bench generate}: generation throughput with and without the KV cache. */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description =
        "New tokens/s of batched sampling with and without the KV cache (fixed length, EOS ignored).")
public final class GenerateBench implements Callable<Integer> {
  @Mixin BenchOptions common;

  @Mixin LengthOptions lengths;

  @Option(
      names = "--batch",
      defaultValue = "8",
      description = "prompts per batch (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(
      names = "--temperature",
      defaultValue = "1.0",
      description = "sampling temperature (default: ${DEFAULT-VALUE})")
  double temperature;

  @Option(
      names = "--warmup",
      paramLabel = "RUNS",
      defaultValue = "1",
      description = "untimed generations first (default: ${DEFAULT-VALUE})")
  int warmup;

  @Option(
      names = "--repeats",
      paramLabel = "RUNS",
      defaultValue = "3",
      description = "timed generations; the report gives their median (default: ${DEFAULT-VALUE})")
  int repeats;

  @Option(names = "--no-kv-off", description = "skip the slow no-cache timing")
  boolean noKvOff;

  @Override
  public Integer call() throws Exception {
    QuantConfig quant = common.quant();
    common.startEngine();
    int promptLen = lengths.promptLen;
    int newTokens = lengths.newTokens;
    long seed = common.seed;
    try (CausalLM model = common.randomModel(quant)) {
      List<long[]> prompts =
          BenchPrompts.make(
              batch, promptLen, model.config().vocabSize(), model.config().eosTokenId(), seed);
      JsonObject report = new JsonObject();
      JsonObject summary = new JsonObject();
      for (boolean cache : noKvOff ? new boolean[] {true} : new boolean[] {true, false}) {
        GenerationConfig cfg =
            GenerationConfig.builder()
                .maxNewTokens(newTokens)
                .padTokenId(Math.max(0, model.config().eosTokenId()))
                .eosTokenId(-1)
                .useCache(cache)
                .sampling(SamplingConfig.builder().temperature(temperature).seed(seed).build())
                .build();
        Generator g = new Generator(model, cfg);
        List<Double> seconds = BenchSupport.time(warmup, repeats, () -> g.generate(prompts));
        String key = cache ? "generation_kv_cache" : "generation_no_kv_cache";
        JsonObject r = new JsonObject();
        r.add("seconds", BenchSupport.summary(seconds));
        r.addProperty("new_tokens", batch * newTokens);
        double rate = batch * newTokens / BenchSupport.median(seconds);
        r.addProperty("tokens_per_s_at_median_time", BenchSupport.round(rate));
        report.add(key, r);
        summary.addProperty(
            cache ? "gen_tokens_per_s_kv_cache" : "gen_tokens_per_s_no_kv_cache",
            BenchSupport.round(rate));
      }
      BenchSupport.addMemoryFacts(summary, model, quant, false);
      summary.addProperty("params_total", model.parameterCount());
      report.add("summary", summary);
      JsonObject workload = new JsonObject();
      workload.addProperty("preset", common.preset);
      workload.addProperty("batch", batch);
      workload.addProperty("prompt_len", promptLen);
      workload.addProperty("new_tokens", newTokens);
      workload.addProperty("threads", common.threads);
      workload.addProperty("seed", seed);
      report.add("workload", workload);
      BenchSupport.emit(report, common.json);
    }
    return 0;
  }
}

package rlhf4j.cli.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.quant.QuantConfig;

/** {@code rlhf4j bench forward}: inference forward throughput against the measured matmul peak. */
@Command(
    name = "forward",
    mixinStandardHelpOptions = true,
    description =
        "Forward tokens/s and GFLOP/s of a preset, with the fp32 matmul peak measured in the same process.")
public final class ForwardBench implements Callable<Integer> {
  @Mixin BenchOptions common;

  @Mixin MatmulPeakOptions peak;

  @Option(
      names = "--batch",
      defaultValue = "8",
      description = "sequences per forward (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(
      names = "--seq-len",
      paramLabel = "TOKENS",
      defaultValue = "64",
      description = "tokens per sequence (default: ${DEFAULT-VALUE})")
  int seqLen;

  @Option(
      names = "--warmup",
      paramLabel = "RUNS",
      defaultValue = "1",
      description = "untimed forwards first (default: ${DEFAULT-VALUE})")
  int warmup;

  @Option(
      names = "--repeats",
      paramLabel = "RUNS",
      defaultValue = "5",
      description = "timed forwards; the report gives their median (default: ${DEFAULT-VALUE})")
  int repeats;

  @Override
  public Integer call() throws Exception {
    QuantConfig quant = common.quant();
    common.startEngine(); // load natives before timing
    double peakStart = peak.measure();
    try (CausalLM model = common.randomModel(quant);
        NDManager m = NDManager.newBaseManager()) {
      SplittableRandom rng = new SplittableRandom(common.seed);
      long[] ids = new long[batch * seqLen];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = rng.nextInt(model.config().vocabSize());
      }
      NDArray input = m.create(ids, new Shape(batch, seqLen));
      NDArray mask = m.ones(new Shape(batch, seqLen), DataType.INT64);
      List<Double> seconds =
          BenchSupport.time(
              warmup,
              repeats,
              () -> {
                try (NDScope scope = new NDScope()) {
                  model.forward(input, mask).logits().getFloat(0, 0, 0);
                }
              });
      double peakEnd = peak.measure();
      double peakGflops = Math.max(peakStart, peakEnd);
      double flops = BenchSupport.forwardFlops(model, batch, seqLen, 0, seqLen, 0);
      double med = BenchSupport.median(seconds);
      double gflops = flops / 1e9 / med;
      JsonObject report = new JsonObject();
      JsonObject summary = new JsonObject();
      summary.addProperty("forward_tokens_per_s", BenchSupport.round(batch * seqLen / med));
      summary.addProperty("forward_gflops", BenchSupport.round(gflops));
      summary.addProperty("matmul_peak_gflops", BenchSupport.round(peakGflops));
      summary.addProperty(
          "forward_fraction_of_matmul_peak", BenchSupport.round(gflops / peakGflops));
      summary.addProperty("params_total", model.parameterCount());
      BenchSupport.addMemoryFacts(summary, model, quant, false);
      report.add("summary", summary);
      JsonObject workload = new JsonObject();
      workload.addProperty("preset", common.preset);
      workload.addProperty("batch", batch);
      workload.addProperty("seq_len", seqLen);
      workload.addProperty("threads", common.threads);
      workload.addProperty("analytic_gflop", BenchSupport.round(flops / 1e9));
      report.add("workload", workload);
      report.add("forward_seconds", BenchSupport.summary(seconds));
      JsonObject mm = new JsonObject();
      mm.addProperty("start", BenchSupport.round(peakStart));
      mm.addProperty("end", BenchSupport.round(peakEnd));
      report.add("matmul_peak_gflops", mm);
      BenchSupport.emit(report, common.json);
    }
    return 0;
  }
}

package rlhf4j.cli.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;
import rlhf4j.policy.memory.ProcessMemory;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.quant.BaseDtype;
import rlhf4j.policy.quant.QuantConfig;
import rlhf4j.policy.train.NativeMemory;

/**
 * Measurement helpers shared by the {@code rlhf4j bench} commands, with the same workloads and
 * analytic FLOP counts as the PyTorch yardstick ({@code reference_ppo.py}).
 */
public final class BenchSupport {
  private BenchSupport() {}

  /** Seconds of {@code repeats} timed runs after {@code warmup} untimed ones. */
  public static List<Double> time(int warmup, int repeats, Runnable run) {
    for (int i = 0; i < warmup; i++) {
      run.run();
    }
    List<Double> s = new ArrayList<>();
    for (int i = 0; i < repeats; i++) {
      long t0 = System.nanoTime();
      run.run();
      s.add((System.nanoTime() - t0) / 1e9);
    }
    return s;
  }

  public static double median(List<Double> v) {
    List<Double> s = new ArrayList<>(v);
    Collections.sort(s);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  /** {runs, min, median, max}. */
  public static JsonObject summary(List<Double> v) {
    JsonObject o = new JsonObject();
    JsonArray runs = new JsonArray();
    v.forEach(x -> runs.add(round(x)));
    o.add("runs", runs);
    o.addProperty("min", round(Collections.min(v)));
    o.addProperty("median", round(median(v)));
    o.addProperty("max", round(Collections.max(v)));
    return o;
  }

  public static double round(double x) {
    return Math.round(x * 1e6) / 1e6;
  }

  /**
   * GFLOP/s of a loop of n×n fp32 matmuls (into a reused output) running about {@code seconds}: the
   * measured peak the model phases are compared with.
   */
  public static double matmulPeakGflops(double seconds, int n) {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = m.randomNormal(new Shape(n, n));
      NDArray b = m.randomNormal(new Shape(n, n));
      for (int i = 0; i < 3; i++) {
        a.matMul(b).close();
      }
      long k = 0;
      long t0 = System.nanoTime();
      while (true) {
        a.matMul(b).close();
        k++;
        double dt = (System.nanoTime() - t0) / 1e9;
        if (dt >= seconds) {
          return 2.0 * n * n * (double) n * k / dt / 1e9;
        }
      }
    }
  }

  /** The highest VmHWM read just before a {@link #resetPeakRss()}, in MB. */
  private static double peakBeforeResetsMb;

  /**
   * Peak resident set size of this process in MB: VmHWM, or a higher value it had before a {@link
   * #resetPeakRss()} (so phase measurements never lower the process peak a report gives).
   */
  public static synchronized double peakRssMb() {
    return Math.max(peakBeforeResetsMb, procStatusMb("VmHWM:"));
  }

  /** VmHWM as the kernel reports it now: the peak since start or the last reset, in MB. */
  static double peakSinceResetMb() {
    return procStatusMb("VmHWM:");
  }

  /**
   * Resets VmHWM to the current resident size ({@code 5 > /proc/self/clear_refs}), remembering the
   * process peak so far for {@link #peakRssMb()}.
   *
   * @return whether the kernel accepted the reset (false off Linux or where /proc is read-only)
   */
  static synchronized boolean resetPeakRss() {
    double before = procStatusMb("VmHWM:");
    if (!Double.isNaN(before)) {
      peakBeforeResetsMb = Math.max(peakBeforeResetsMb, before);
    }
    return ProcessMemory.resetPeak();
  }

  /**
   * Adds the memory facts every bench JSON carries: {@code peak_rss_mb} (the process peak), {@code
   * base_weight_mb} (the stored base weights: codes and scales for a quantised base), {@code
   * base_dtype}, {@code quantize_embeddings} and {@code gradient_checkpointing}.
   */
  public static void addMemoryFacts(
      JsonObject summary, CausalLM model, QuantConfig quant, boolean gradientCheckpointing) {
    summary.addProperty("peak_rss_mb", round(peakRssMb()));
    summary.addProperty("base_weight_mb", round(model.parameterBytes() / 1048576.0));
    summary.addProperty("base_dtype", quant.baseDtype().configName());
    summary.addProperty("quantize_embeddings", quant.quantizeEmbeddings());
    summary.addProperty("gradient_checkpointing", gradientCheckpointing);
  }

  /**
   * Parses {@code --base-dtype} into a quantisation config (block projections in that type, one
   * scale per output channel; the embedding and LM head too with {@code --quantize-embeddings}).
   *
   * @throws CommandLine.ParameterException naming the option and the accepted values
   */
  public static QuantConfig quantConfig(
      CommandLine.Model.CommandSpec spec, String baseDtype, boolean quantizeEmbeddings) {
    BaseDtype dtype;
    try {
      dtype = BaseDtype.parse(baseDtype);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--base-dtype: " + e.getMessage());
    }
    if (quantizeEmbeddings && dtype == BaseDtype.FP32) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--quantize-embeddings needs --base-dtype int8 or fp16 (it is fp32): add one or drop"
              + " --quantize-embeddings");
    }
    return new QuantConfig(dtype, QuantConfig.PER_CHANNEL, quantizeEmbeddings);
  }

  /**
   * Makes glibc return every freed allocation of 64 KiB or more to the kernel at once ({@link
   * NativeMemory#setMmapThreshold}), so resident-memory growth measures live tensors rather than
   * freed blocks glibc kept; costs page faults on every new large tensor.
   *
   * @return whether glibc accepted it
   */
  static boolean releaseFreedMemoryEagerly() {
    return NativeMemory.setMmapThreshold(1 << 16);
  }

  /** Current resident set size (VmRSS), in MB. */
  public static double rssMb() {
    return procStatusMb("VmRSS:");
  }

  private static double procStatusMb(String key) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(key)) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return Double.NaN;
  }

  /**
   * Analytic matmul FLOPs (2 per multiply-add) of one forward over {@code tNew} tokens attending to
   * {@code tPast + tNew} keys, LM head on {@code nLogits} positions per sequence; {@code
   * loraFlopsPerToken} = 2·Σ r·(in + out) over adapted modules. The block projections count every
   * linear layer's in·out (12·d² per layer for GPT-2, as the yardstick counts; gated MLPs, GQA and
   * a head width other than d as the model has them), attention {@link #attentionWidth} per key.
   */
  public static double forwardFlops(
      CausalLM model, long batch, long tNew, long tPast, long nLogits, double loraFlopsPerToken) {
    ModelConfig c = model.config();
    double projections = 0;
    for (rlhf4j.policy.model.Linear l : model.linears()) {
      projections += (double) l.inFeatures() * l.outFeatures();
    }
    double linear = 2.0 * batch * tNew * projections;
    double attention = 4.0 * batch * c.numLayers() * tNew * (tPast + tNew) * attentionWidth(c);
    double lora = batch * tNew * loraFlopsPerToken;
    double head = 2.0 * batch * nLogits * (double) c.hiddenSize() * c.vocabSize();
    return linear + attention + lora + head;
  }

  /** Width of the attention products QKᵀ and PV: heads × head width (d for GPT-2). */
  public static double attentionWidth(ModelConfig c) {
    return (double) c.numHeads() * c.headDim();
  }

  /** Writes {@code report} as pretty JSON to {@code file} (if not null) and stdout. */
  public static void emit(JsonObject report, Path file) throws IOException {
    String json = new GsonBuilder().setPrettyPrinting().create().toJson(report);
    if (file != null) {
      if (file.toAbsolutePath().getParent() != null) {
        Files.createDirectories(file.toAbsolutePath().getParent());
      }
      Files.writeString(file, json + "\n");
    }
    System.out.println(json);
  }

  /** Runs {@code s} and returns its value (for lambdas that must produce something). */
  public static <T> T get(Supplier<T> s) {
    return s.get();
  }

  /** The {@code key} value of each step's statistics, in order. */
  static List<Double> column(List<Map<String, Double>> steps, String key) {
    List<Double> out = new ArrayList<>();
    for (Map<String, Double> step : steps) {
      out.add(step.get(key));
    }
    return out;
  }
}

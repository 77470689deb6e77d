package rlhf4j.policy.memory;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.model.NoGrad;
import rlhf4j.policy.model.TokenLogProbs;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.optim.AdamW;
import rlhf4j.policy.optim.AdamWConfig;
import rlhf4j.policy.optim.LrSchedule;
import rlhf4j.policy.quant.BaseDtype;
import rlhf4j.policy.quant.QuantConfig;
import rlhf4j.policy.train.NativeMemory;

/**
 * Measures one configuration of the memory levers in a fresh JVM (not a unit test): a PPO-shaped
 * LoRA update step (forward over [query | response], response log-probs through the LM head, a
 * value head, backward, AdamW) or a no-grad forward, on a random model of a preset's shape. Prints
 * one line of key=value pairs: stored bytes, resident memory before the steps, the peak during them
 * (VmHWM after a reset), and step times.
 *
 * <pre>
 * java -Xmx512m -XX:+UseSerialGC -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 \
 *   -cp policy/target/test-classes:policy/target/classes:$(cat cp.txt) \
 *   rlhf4j.policy.memory.LeanMemoryBench preset=small dtype=int8 ckpt=true batch=8 seq=256 resp=128
 * </pre>
 */
public final class LeanMemoryBench {
  private LeanMemoryBench() {}

  public static void main(String[] args) {
    Map<String, String> a = new java.util.HashMap<>();
    for (String arg : args) {
      String[] kv = arg.split("=", 2);
      a.put(kv[0], kv.length > 1 ? kv[1] : "true");
    }
    String preset = a.getOrDefault("preset", "small");
    BaseDtype dtype = BaseDtype.parse(a.getOrDefault("dtype", "fp32"));
    boolean embeddings = Boolean.parseBoolean(a.getOrDefault("embeddings", "false"));
    int blockSize = Integer.parseInt(a.getOrDefault("block", "0"));
    boolean ckpt = Boolean.parseBoolean(a.getOrDefault("ckpt", "false"));
    int batch = Integer.parseInt(a.getOrDefault("batch", "8"));
    int seq = Integer.parseInt(a.getOrDefault("seq", "256"));
    int resp = Integer.parseInt(a.getOrDefault("resp", "128"));
    int steps = Integer.parseInt(a.getOrDefault("steps", "2"));
    String mode = a.getOrDefault("mode", "train"); // train | forward
    String targets = a.getOrDefault("targets", "c_attn");
    int rank = Integer.parseInt(a.getOrDefault("r", "16"));

    boolean eagerFree = Boolean.parseBoolean(a.getOrDefault("eagerFree", "false"));
    if (eagerFree && !NativeMemory.setMmapThreshold(1 << 16)) {
      throw new IllegalStateException("mallopt failed");
    }
    QuantConfig quant =
        dtype == BaseDtype.FP32 ? QuantConfig.FP32 : new QuantConfig(dtype, blockSize, embeddings);
    ModelConfig config = Presets.config(preset);
    long rssStart = ProcessMemory.rssBytes();
    long t0 = System.nanoTime();
    try (CausalLM model = CausalLM.random(config, 1, quant);
        LoraModel lora =
            LoraModel.inject(
                model,
                LoraConfig.builder()
                    .r(rank)
                    .loraAlpha(2.0 * rank)
                    .targetModules(Arrays.asList(targets.split(",")))
                    .initLoraWeights(LoraConfig.InitLoraWeights.RANDOM)
                    .build(),
                2);
        ValueHead vh = ValueHead.create(model.manager(), config.hiddenSize(), false, 3);
        AdamW opt = new AdamW(AdamWConfig.defaults(), LrSchedule.constant(1e-5));
        NDManager m = NDManager.newBaseManager()) {
      vh.setTrainable(true);
      Map<String, NDArray> params = new java.util.LinkedHashMap<>(lora.trainableParameters());
      params.putAll(vh.parameters());
      double loadSeconds = (System.nanoTime() - t0) / 1e9;
      long[] flat = new long[batch * seq];
      SplittableRandom rng = new SplittableRandom(4);
      for (int i = 0; i < flat.length; i++) {
        flat[i] = rng.nextInt(config.vocabSize());
      }
      NDArray ids = m.create(flat, new Shape(batch, seq));
      int queryWidth = seq - resp;
      double[] times = new double[steps + 1];
      double[] cpu = new double[steps + 1];
      java.lang.management.ThreadMXBean threads =
          java.lang.management.ManagementFactory.getThreadMXBean();
      long rssBefore = 0;
      long peak = 0;
      for (int step = 0; step <= steps; step++) {
        if (step == 0) {
          System.gc();
          rssBefore = ProcessMemory.rssBytes();
          ProcessMemory.resetPeak();
        }
        long s0 = System.nanoTime();
        long c0 = threads.getCurrentThreadCpuTime();
        try (NDScope scope = new NDScope()) {
          if (mode.equals("forward")) {
            try (NoGrad ng = NoGrad.enter()) {
              CausalLM.Output out = model.forwardResponse(ids, null, queryWidth, false);
              TokenLogProbs.gather(out.logits(), ids.get(":, " + queryWidth + ":"), 1.0)
                  .sum()
                  .getFloat();
            }
          } else {
            NDList r =
                model.backward(
                    ids,
                    null,
                    true,
                    ckpt,
                    hidden -> {
                      CausalLM.Output out = model.responseOutput(hidden, queryWidth, true);
                      NDArray lp =
                          TokenLogProbs.gather(
                              out.logits(), ids.get(":, " + queryWidth + ":"), 1.0); // (B, T)
                      NDArray v = vh.forward(out.hidden()); // (B, T)
                      return new NDList(lp.mean().neg().add(v.sub(0.5f).square().mean()));
                    });
            r.get(0).getFloat();
            opt.step(params);
            opt.zeroGrad(params);
          }
        }
        times[step] = (System.nanoTime() - s0) / 1e9;
        cpu[step] = (threads.getCurrentThreadCpuTime() - c0) / 1e9;
        peak = Math.max(peak, ProcessMemory.peakRssBytes());
      }
      double[] timed = Arrays.copyOfRange(times, 1, times.length);
      Arrays.sort(timed);
      double[] timedCpu = Arrays.copyOfRange(cpu, 1, cpu.length);
      Arrays.sort(timedCpu);
      System.out.println(
          String.format(
              Locale.ROOT,
              "RESULT preset=%s mode=%s dtype=%s embeddings=%s block=%d ckpt=%s eagerFree=%s batch=%d seq=%d"
                  + " resp=%d threads=%d baseMiB=%.1f adapterMiB=%.2f optimizerMiB=%.2f"
                  + " rssStartMiB=%.1f rssBeforeStepsMiB=%.1f peakDuringStepsMiB=%.1f"
                  + " stepPeakOverBeforeMiB=%.1f processPeakMiB=%.1f estimateActMiB=%.1f"
                  + " loadS=%.1f firstStepS=%.2f minStepS=%.2f minStepCpuS=%.2f steps=%s"
                  + " cpu=%s",
              preset,
              mode,
              dtype,
              embeddings,
              blockSize,
              ckpt,
              eagerFree,
              batch,
              seq,
              resp,
              Engine.getInstance().getEngineName().isEmpty() ? 0 : intraOpThreads(),
              mib(model.parameterBytes()),
              mib(lora.memoryReport(0).adapterBytes()),
              mib(opt.stateBytes()),
              mib(rssStart),
              mib(rssBefore),
              mib(peak),
              mib(peak - rssBefore),
              mib(ProcessMemory.peakRssBytes()),
              mib(ActivationEstimate.bytes(config, batch, seq, resp, ckpt, mode.equals("train"))),
              loadSeconds,
              times[0],
              timed[0],
              timedCpu[0],
              Arrays.toString(times),
              Arrays.toString(cpu)));
    }
  }

  private static int intraOpThreads() {
    return Integer.getInteger("ai.djl.pytorch.num_threads", -1);
  }

  private static double mib(long bytes) {
    return bytes / (1024.0 * 1024.0);
  }
}

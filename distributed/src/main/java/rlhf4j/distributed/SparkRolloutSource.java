package rlhf4j.distributed;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.reward.RewardException;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.RolloutSource;

/**
 * Rollouts on Spark executors. Each step the driver broadcasts the policy's active adapter (and
 * value head) as PEFT safetensors bytes ({@link AdapterPayload}, never the base weights), splits
 * the prompts into partitions, and each executor, holding the base model once per JVM ({@link
 * ExecutorPolicy}), generates with per-prompt seeds, computes the policy's and the reference's
 * log-probs and the values, scores with the reward, and sends the per-token rows back ({@link
 * RolloutTask}). The driver reassembles them in prompt order into a {@link Rollout} that carries
 * reference log-probs and scores, so the trainer runs neither the reference nor the reward and goes
 * straight to the update.
 *
 * <p>The critic-free trainers (GRPO, RLOO, REINFORCE++) use it without a value head, so only the
 * adapter travels, and with {@link Builder#rewardFuncs} their reward functions: the rollout then
 * carries each function's score ({@link Rollout#rewardsPerFunc()}). Their groups are the prompts
 * repeated G times ({@link rlhf4j.rollout.GroupedRollout#repeat}), so each completion samples from
 * the seed of its own row. The reference is the base with adapters off: a run whose reference is a
 * trained adapter's frozen copy cannot take its reference log-probs from here.
 *
 * <p>Results do not depend on the partitioning: row {@code i} samples from {@code PromptSeeds.of(
 * seed, step, i)}, as {@link rlhf4j.rollout.LocalRolloutSource#perPromptSeeds()} does, and a task
 * Spark retries after losing an executor computes the same rows. A failing reward stops the step
 * with the reward's message ({@link RewardException}).
 *
 * <p>{@link #lastRolloutStats()} reports {@code distributed/broadcast_bytes}, {@code
 * distributed/returned_bytes}, {@code distributed/executors}, {@code distributed/partitions} and
 * {@code distributed/rollout_seconds_per_executor} (mean; {@code ..._max} the slowest).
 */
public final class SparkRolloutSource implements RolloutSource, AutoCloseable {
  private final JavaSparkContext spark;
  private final boolean ownsContext;
  private final BaseModelSpec base;
  private final LoraModel policy;
  private final ValueHead valueHead;
  private final GenerationSpec generation;
  private final Scoring scoring;
  private final boolean reference;
  private final long seed;
  private final int partitions;
  private StepStats last;

  /**
   * Numbers of the last step.
   *
   * @param broadcastBytes adapter (and value head) bytes broadcast
   * @param returnedBytes packed row bytes the executors sent back
   * @param partitions tasks the prompts were split into
   * @param secondsByExecutor summed task seconds per executor id
   */
  public record StepStats(
      long broadcastBytes,
      long returnedBytes,
      int partitions,
      Map<String, Double> secondsByExecutor) {
    /** Executors that ran a task of the step. */
    public int executors() {
      return secondsByExecutor.size();
    }

    /** The stats as the trainer's stats keys. */
    public Map<String, Double> asStats() {
      Map<String, Double> s = new LinkedHashMap<>();
      s.put("distributed/broadcast_bytes", (double) broadcastBytes);
      s.put("distributed/returned_bytes", (double) returnedBytes);
      s.put("distributed/executors", (double) executors());
      s.put("distributed/partitions", (double) partitions);
      double sum = 0;
      double max = 0;
      for (double v : secondsByExecutor.values()) {
        sum += v;
        max = Math.max(max, v);
      }
      s.put("distributed/rollout_seconds_per_executor", executors() == 0 ? 0 : sum / executors());
      s.put("distributed/rollout_seconds_per_executor_max", max);
      return s;
    }
  }

  private SparkRolloutSource(Builder b) {
    this.base = Objects.requireNonNull(b.base, "base: where executors find the base model");
    this.policy = Objects.requireNonNull(b.policy, "policy: the driver's LoRA policy");
    this.generation = GenerationSpec.of(Objects.requireNonNull(b.generation, "generation"));
    if ((b.reward == null) == (b.rewardFuncs == null)) {
      throw new IllegalArgumentException(
          "set exactly one of reward (PPO: one score per row) and rewardFuncs (GRPO, RLOO,"
              + " REINFORCE++: a score per function)");
    }
    this.scoring =
        b.reward != null ? new Scoring(List.of(b.reward), false) : new Scoring(b.rewardFuncs, true);
    this.reference = b.reference;
    this.valueHead = b.valueHead;
    this.seed = b.seed;
    if (b.spark != null) {
      this.spark = b.spark;
      this.ownsContext = false;
    } else {
      if (b.master == null) {
        throw new IllegalArgumentException(
            "give a Spark master URL (local[N], spark://host:7077) or a JavaSparkContext");
      }
      this.spark = new JavaSparkContext(conf(b.master));
      this.ownsContext = true;
    }
    if (b.partitions < 0) {
      throw new IllegalArgumentException(
          "partitions must be >= 0 (0 = Spark's default parallelism)");
    }
    this.partitions = b.partitions > 0 ? b.partitions : spark.defaultParallelism();
  }

  /** The Spark settings a source that starts its own context uses. */
  public static SparkConf conf(String master) {
    return new SparkConf()
        .setMaster(master)
        .setAppName("rlhf4j rollouts")
        .set("spark.ui.enabled", "false")
        .set(
            "spark.executor.extraJavaOptions",
            // offline, and one intra-op thread per task: an executor runs one task per core
            "-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1"
                + " -Dai.djl.pytorch.num_interop_threads=1")
        .set("spark.executorEnv.OPT_OUT_TRACKING", "true");
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public Rollout rollout(List<long[]> prompts, long step) {
    if (prompts.isEmpty()) {
      throw new IllegalArgumentException("no prompts given");
    }
    AdapterPayload payload = AdapterPayload.of(policy, valueHead);
    Broadcast<AdapterPayload> broadcast = spark.broadcast(payload);
    try {
      List<IndexedPrompt> items = new ArrayList<>();
      for (int i = 0; i < prompts.size(); i++) {
        items.add(new IndexedPrompt(i, prompts.get(i).clone()));
      }
      int slices = Math.min(prompts.size(), partitions);
      RolloutTask task =
          new RolloutTask(base, generation, scoring, reference, seed, step, broadcast);
      List<PartitionResult> results;
      try {
        results = spark.parallelize(items, slices).mapPartitionsWithIndex(task, false).collect();
      } catch (Exception e) { // Spark throws SparkException undeclared
        throw failure(e, step);
      }
      return assemble(prompts, results, payload.bytes(), slices);
    } finally {
      broadcast.destroy();
    }
  }

  private Rollout assemble(
      List<long[]> prompts, List<PartitionResult> results, long broadcastBytes, int slices) {
    int b = prompts.size();
    RolloutRow[] rows = new RolloutRow[b];
    long returned = 0;
    Map<String, Double> seconds = new TreeMap<>();
    for (PartitionResult p : results) {
      returned += p.rows().length;
      seconds.merge(p.executorId(), p.seconds(), Double::sum);
      for (RolloutRow r : RolloutRow.decode(p.rows())) {
        rows[r.index()] = r;
      }
    }
    List<long[]> queries = new ArrayList<>();
    List<long[]> responses = new ArrayList<>();
    List<float[]> logProbs = new ArrayList<>();
    List<float[]> values = valueHead == null ? null : new ArrayList<>();
    List<float[]> refLogProbs = reference ? new ArrayList<>() : null;
    List<String> texts = new ArrayList<>();
    float[] scores = scoring.perFunction() ? null : new float[b];
    double[][] rewardsPerFunc = scoring.perFunction() ? new double[b][] : null;
    boolean[] eos = new boolean[b];
    for (int i = 0; i < b; i++) {
      RolloutRow r = rows[i];
      if (r == null) {
        throw new IllegalStateException("Spark returned no rollout for prompt " + i);
      }
      queries.add(prompts.get(i).clone());
      responses.add(r.response());
      logProbs.add(r.logProbs());
      if (values != null) {
        values.add(r.values());
      }
      if (refLogProbs != null) {
        refLogProbs.add(r.refLogProbs());
      }
      texts.add(r.text());
      if (scores != null) {
        scores[i] = r.scores()[0];
      } else {
        rewardsPerFunc[i] = new double[r.scores().length];
        for (int k = 0; k < rewardsPerFunc[i].length; k++) {
          rewardsPerFunc[i][k] = r.scores()[k];
        }
      }
      eos[i] = r.endedWithEos();
    }
    last = new StepStats(broadcastBytes, returned, slices, Map.copyOf(seconds));
    boolean hasTexts = texts.stream().allMatch(Objects::nonNull);
    return new Rollout(
        queries,
        responses,
        logProbs,
        values,
        hasTexts ? texts : null,
        eos,
        refLogProbs,
        scores,
        rewardsPerFunc);
  }

  /** The reward's own error when a reward failed on an executor, else the Spark failure. */
  private static RuntimeException failure(Exception e, long step) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof RewardException re) {
        return new RewardException(
            re.rewardName(),
            re.getMessage() + " (on a Spark executor, rollout of step " + step + ")",
            e);
      }
    }
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    return new IllegalStateException(
        "the Spark rollout of step " + step + " failed (no update ran): " + message, e);
  }

  /** The last step's numbers, or null before the first step. */
  public StepStats lastStep() {
    return last;
  }

  @Override
  public Map<String, Double> lastRolloutStats() {
    return last == null ? Map.of() : last.asStats();
  }

  /** Where the executors read the base model. */
  public BaseModelSpec base() {
    return base;
  }

  /** The Spark context the rollouts run on. */
  public JavaSparkContext sparkContext() {
    return spark;
  }

  /**
   * Stops the Spark context if this source started it; with a {@code local} master the executor is
   * this JVM, so its cached base models are freed too.
   */
  @Override
  public void close() {
    if (ownsContext) {
      boolean local = spark.master().startsWith("local");
      spark.stop();
      if (local) {
        ExecutorPolicy.clearAll();
      }
    }
  }

  /**
   * Builder; required: base, policy, generation, reward or rewardFuncs, and a master or a context.
   */
  public static final class Builder {
    private JavaSparkContext spark;
    private String master;
    private BaseModelSpec base;
    private LoraModel policy;
    private ValueHead valueHead;
    private GenerationConfig generation;
    private RewardSpec reward;
    private List<RewardSpec> rewardFuncs;
    private boolean reference = true;
    private long seed;
    private int partitions;

    private Builder() {}

    /** An existing context (not stopped by {@link #close()}). */
    public Builder sparkContext(JavaSparkContext v) {
      spark = v;
      return this;
    }

    /** A master URL ({@code local[N]}, {@code spark://host:7077}); the source owns the context. */
    public Builder master(String v) {
      master = v;
      return this;
    }

    /** Where every executor reads the base model. */
    public Builder base(BaseModelSpec v) {
      base = v;
      return this;
    }

    /** The driver's policy; its active adapter is broadcast each step. */
    public Builder policy(LoraModel v) {
      policy = v;
      return this;
    }

    /** The value head to broadcast (PPO's values), or null for none (the critic-free trainers). */
    public Builder valueHead(ValueHead v) {
      valueHead = v;
      return this;
    }

    /** Generation settings (the sampling seed is replaced by per-prompt seeds). */
    public Builder generation(GenerationConfig v) {
      generation = v;
      return this;
    }

    /** PPO's reward executors build and score with (the rollout's {@code scores}). */
    public Builder reward(RewardSpec v) {
      reward = v;
      return this;
    }

    /**
     * The critic-free trainers' reward functions (TRL's {@code reward_funcs}), in the trainer's
     * order: executors score with each, NaN allowed, and the rollout carries {@code rewardsPerFunc}
     * instead of {@code scores}. Instead of {@link #reward}.
     */
    public Builder rewardFuncs(List<RewardSpec> v) {
      rewardFuncs = v == null ? null : List.copyOf(v);
      return this;
    }

    /**
     * Whether executors run the reference (the base, adapters off) over the responses (default
     * true). A rollout with reference log-probs tells the critic-free trainers that its log-probs
     * serve as the old policy's too; turn it off only when the trainer needs neither (GRPO with
     * {@code beta = 0} and one iteration).
     */
    public Builder reference(boolean v) {
      reference = v;
      return this;
    }

    /** The run seed (default 0). */
    public Builder seed(long v) {
      seed = v;
      return this;
    }

    /** Partitions per step (default 0: Spark's default parallelism, e.g. N for local[N]). */
    public Builder partitions(int v) {
      partitions = v;
      return this;
    }

    public SparkRolloutSource build() {
      return new SparkRolloutSource(this);
    }
  }

  @Override
  public String toString() {
    return "SparkRolloutSource[" + spark.master() + ", " + Arrays.asList(base, scoring) + "]";
  }
}

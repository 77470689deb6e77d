package rlhf4j.cli;

import static rlhf4j.cli.YamlTypes.listOf;
import static rlhf4j.cli.YamlTypes.mapOf;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import rlhf4j.cli.config.ConfigBinder;
import rlhf4j.cli.config.ConfigFile;
import rlhf4j.cli.config.ConfigSection;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.optim.LrSchedule;
import rlhf4j.policy.optim.LrScheduleType;
import rlhf4j.policy.optim.Warmup;
import rlhf4j.ppo.RunConfig;
import rlhf4j.ppo.dpo.DpoConfig;
import rlhf4j.ppo.grpo.GrpoConfig;
import rlhf4j.ppo.rloo.RlooConfig;

/**
 * The YAML file of {@code rlhf4j grpo|rloo|dpo --config FILE}, in the layout of {@link
 * PpoRunConfig}: {@code model}, {@code lora} (PEFT names; {@code adapter}: start from a trained
 * adapter, whose frozen copy is then the reference), {@code trainer} (the run keys, {@link
 * RunConfig}'s and the algorithm config's, TRL names), {@code generation}, {@code data} and, for
 * GRPO and RLOO, {@code reward} with {@code funcs}: a list of {@code {name, <options>...}} (TRL's
 * {@code reward_funcs}; weights are {@code trainer.reward_weights}).
 *
 * @param algorithm which trainer
 * @param model the policy: a preset or an HF folder
 * @param lora the adapter
 * @param loraSeed seed of the adapter's initialisation ({@code lora.seed}, default 0)
 * @param adapter a trained PEFT adapter to start from ({@code lora.adapter}), or null
 * @param batching batch sizes, gradient clip and seed
 * @param config the algorithm's config
 * @param generation rollout settings (GRPO, RLOO)
 * @param prompts the prompts (GRPO, RLOO), or null
 * @param pairs the {@code {prompt, chosen, rejected}} JSONL (DPO), or null
 * @param rewardFuncs the reward functions (GRPO, RLOO), in order
 * @param run steps, output folder, checkpoints
 * @param schedule the learning rate over the run ({@code trainer.lr_scheduler_type}, {@code
 *     trainer.warmup_steps})
 */
public record PolicyRunConfig(
    Algorithm algorithm,
    ModelSource model,
    LoraConfig lora,
    long loraSeed,
    Path adapter,
    RunConfig batching,
    Record config,
    PpoRunConfig.Generation generation,
    PpoRunConfig.Prompts prompts,
    Path pairs,
    List<PpoRunConfig.Reward> rewardFuncs,
    PpoRunConfig.Run run,
    Schedule schedule) {

  /** The trainers this file can describe, with their config builders. */
  public enum Algorithm {
    GRPO(GrpoConfig.Builder.class, GrpoConfig::builder, b -> ((GrpoConfig.Builder) b).build()),
    RLOO(RlooConfig.Builder.class, RlooConfig::builder, b -> ((RlooConfig.Builder) b).build()),
    DPO(DpoConfig.Builder.class, DpoConfig::builder, b -> ((DpoConfig.Builder) b).build());

    final Map<String, String> keys;
    final Supplier<Object> builder;
    final Function<Object, Record> build;

    Algorithm(Class<?> builderType, Supplier<Object> builder, Function<Object, Record> build) {
      this.keys = ConfigBinder.keys(builderType, Map.of());
      this.builder = builder;
      this.build = build;
    }

    /** The command's name and the example config's ({@code cli/configs/<name>.yaml}). */
    public String command() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    boolean generates() {
      return this != DPO;
    }
  }

  /**
   * The learning rate over a run, as TRL's trainers take it from {@code TrainingArguments}: {@code
   * lr_scheduler_type} (default linear decay to 0 at the last optimizer step) after a linear
   * warm-up from 0 ({@code warmup_steps}: a step count, or as in transformers 5 a fraction in [0,
   * 1) of the steps; {@code warmup_ratio}, transformers 4's name for the fraction; default none).
   *
   * @param type the shape after warm-up
   * @param warmup the warm-up
   */
  public record Schedule(LrScheduleType type, Warmup warmup) {
    static final List<String> KEYS = List.of("lr_scheduler_type", "warmup_steps", "warmup_ratio");

    /** Validates. */
    public Schedule {
      java.util.Objects.requireNonNull(type, "type");
      java.util.Objects.requireNonNull(warmup, "warmup");
    }

    /** TRL's defaults: linear decay, no warm-up. */
    public static Schedule defaults() {
      return new Schedule(LrScheduleType.LINEAR, Warmup.none());
    }

    /** The learning rate at each of {@code optimizerSteps} steps, peaking at {@code peakLr}. */
    public LrSchedule over(double peakLr, long optimizerSteps) {
      return type.schedule(peakLr, warmup, optimizerSteps);
    }

    static Schedule read(ConfigSection t) {
      LrScheduleType type = t.get("lr_scheduler_type", LrScheduleType.class, LrScheduleType.LINEAR);
      Double steps = t.get("warmup_steps", Double.class);
      Double ratio = t.get("warmup_ratio", Double.class);
      if (steps != null && ratio != null) {
        throw t.error(
            "warmup_ratio",
            "and warmup_steps are both set; keep one (warmup_steps: 0.1 is a ratio)");
      }
      Warmup warmup = Warmup.none();
      if (ratio != null) {
        if (!(ratio >= 0 && ratio <= 1)) {
          throw t.error("warmup_ratio", "must be a fraction of the steps in [0, 1], got " + ratio);
        }
        warmup = Warmup.ofRatio(ratio);
      } else if (steps != null) {
        warmup = warmupSteps(t, steps);
      }
      return new Schedule(type, warmup);
    }

    /** transformers 5's {@code warmup_steps}: an exact count, or a fraction in [0, 1). */
    private static Warmup warmupSteps(ConfigSection t, double v) {
      if (v >= 0 && v < 1) {
        return Warmup.ofRatio(v);
      }
      if (v >= 1 && v == Math.rint(v) && v <= Integer.MAX_VALUE) {
        return Warmup.ofSteps((long) v);
      }
      throw t.error(
          "warmup_steps",
          "must be a step count (e.g. 10) or a fraction of the steps in [0, 1) (e.g. 0.1), got "
              + v);
    }
  }

  /**
   * The learning rate over the run ({@link Schedule}): it peaks at the algorithm's {@code
   * learning_rate} and spans the run's optimizer steps, {@code num_iterations} per step for GRPO
   * and RLOO (one per pass over the generation batch) and one per step for DPO.
   *
   * @param trainerSteps the run's steps ({@code max_steps} or {@code --steps})
   */
  public LrSchedule lrSchedule(long trainerSteps) {
    double lr;
    int perStep;
    if (config instanceof GrpoConfig g) {
      lr = g.learningRate();
      perStep = g.numIterations();
    } else if (config instanceof RlooConfig r) {
      lr = r.learningRate();
      perStep = r.numIterations();
    } else if (config instanceof DpoConfig d) {
      lr = d.learningRate();
      perStep = 1;
    } else {
      throw new IllegalStateException("no learning rate for " + config.getClass().getName());
    }
    long optimizerSteps = trainerSteps * perStep;
    try {
      return schedule.over(lr, optimizerSteps);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "trainer.warmup_steps: "
              + e.getMessage()
              + " (the run's optimizer steps: "
              + trainerSteps
              + " steps x "
              + perStep
              + " per step); shorten the warm-up",
          e);
    }
  }

  static final Map<String, String> BATCHING_KEYS =
      ConfigBinder.keys(RunConfig.Builder.class, Map.of());
  static final Map<String, String> LORA_KEYS = PpoRunConfig.LORA_KEYS;
  static final List<String> REWARD_KEYS = List.of("funcs");

  /** Every section and its keys, in order (for --help and messages). */
  static Map<String, List<String>> sections(Algorithm a) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    out.put("model", ModelSource.TOKENIZER_KEYS);
    List<String> lora = new ArrayList<>(LORA_KEYS.keySet());
    lora.add("seed");
    lora.add("adapter");
    out.put("lora", lora);
    List<String> trainer = new ArrayList<>(PpoRunConfig.RUN_KEYS);
    trainer.addAll(Schedule.KEYS);
    trainer.addAll(BATCHING_KEYS.keySet());
    trainer.addAll(a.keys.keySet());
    out.put("trainer", trainer);
    if (a.generates()) {
      out.put("generation", PpoRunConfig.GENERATION_KEYS);
      out.put("data", PpoRunConfig.DATA_KEYS);
      out.put("reward", REWARD_KEYS);
    } else {
      out.put("data", List.of("path"));
    }
    return out;
  }

  /**
   * Reads and validates a YAML file.
   *
   * @throws IllegalArgumentException naming the file and the key
   */
  public static PolicyRunConfig read(Path file, Algorithm a) {
    Map<String, List<String>> sections = sections(a);
    String example = "cli/configs/" + a.command() + ".yaml";
    ConfigFile f = ConfigFile.read(file, sections.keySet(), example);
    List<String> required =
        a.generates() ? List.of("data", "reward", "trainer") : List.of("data", "trainer");
    for (String s : required) {
      if (!f.has(s)) {
        throw new IllegalArgumentException(
            file + ": section '" + s + "' is missing; see " + example);
      }
    }
    ModelSource model = ModelSource.read(f, ModelSource.TOKENIZER_KEYS);

    ConfigSection l = f.section("lora", sections.get("lora"));
    LoraConfig lora = PpoRunConfig.readLora(l);
    long loraSeed = l.get("seed", Long.class, 0L);
    String adapter = l.get("adapter", String.class);

    ConfigSection t = f.section("trainer", sections.get("trainer"));
    PpoRunConfig.Run run = PpoRunConfig.Run.read(t, a.command());
    Schedule schedule = Schedule.read(t);
    RunConfig.Builder rb = t.bind(RunConfig.builder(), BATCHING_KEYS);
    RunConfig batching = t.build(rb::build);
    Object ab = t.bind(a.builder.get(), a.keys);
    Record config = t.build(() -> a.build.apply(ab));

    PpoRunConfig.Generation generation = null;
    PpoRunConfig.Prompts prompts = null;
    Path pairs = null;
    List<PpoRunConfig.Reward> funcs = List.of();
    if (a.generates()) {
      generation = PpoRunConfig.Generation.read(f);
      prompts = PpoRunConfig.Prompts.read(f);
      funcs = rewardFuncs(f.section("reward", REWARD_KEYS));
    } else {
      ConfigSection d = f.section("data", List.of("path"));
      pairs = Path.of(d.require("path", String.class, "a {prompt, chosen, rejected} JSONL file"));
    }
    return new PolicyRunConfig(
        a,
        model,
        lora,
        loraSeed,
        adapter == null ? null : Path.of(adapter),
        batching,
        config,
        generation,
        prompts,
        pairs,
        funcs,
        run,
        schedule);
  }

  /** {@code reward.funcs}: a list of {@code {name: ..., <option>: ...}}. */
  private static List<PpoRunConfig.Reward> rewardFuncs(ConfigSection r) {
    @SuppressWarnings("unchecked")
    List<Map<String, String>> list =
        (List<Map<String, String>>) r.get("funcs", listOf(mapOf(String.class)));
    if (list == null || list.isEmpty()) {
      throw r.error(
          "funcs", "is missing: give a list of reward functions, e.g. [{name: length, target: 4}]");
    }
    List<PpoRunConfig.Reward> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      Map<String, String> options = new LinkedHashMap<>(list.get(i));
      String name = options.remove("name");
      int index = i;
      out.add(
          r.build(
              () -> {
                try {
                  return new PpoRunConfig.Reward(name, options);
                } catch (IllegalArgumentException e) {
                  throw new IllegalArgumentException("funcs[" + index + "]: " + e.getMessage(), e);
                }
              }));
    }
    return List.copyOf(out);
  }
}

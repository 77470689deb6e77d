package rlhf4j.cli;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
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
    PpoRunConfig.Run run) {

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
    LoraConfig.Builder lb =
        l.bind(LoraConfig.builder().r(8).loraAlpha(16).loraDropout(0.05), LORA_KEYS);
    LoraConfig lora = l.build(lb::build);
    long loraSeed = l.get("seed", Long.class, 0L);
    String adapter = l.get("adapter", String.class);

    ConfigSection t = f.section("trainer", sections.get("trainer"));
    PpoRunConfig.Run run =
        t.build(
            () ->
                new PpoRunConfig.Run(
                    t.require("max_steps", Integer.class, "the step count to reach, e.g. 20"),
                    Path.of(t.require("output_dir", String.class, "e.g. runs/" + a.command())),
                    t.get("save_steps", Integer.class, 0),
                    t.get("save_total_limit", Integer.class, 0),
                    t.get("gradient_checkpointing", Boolean.class, false)));
    RunConfig.Builder rb = t.bind(RunConfig.builder(), BATCHING_KEYS);
    RunConfig batching = t.build(rb::build);
    Object ab = t.bind(a.builder.get(), a.keys);
    Record config = t.build(() -> a.build.apply(ab));

    PpoRunConfig.Generation generation = null;
    PpoRunConfig.Prompts prompts = null;
    Path pairs = null;
    List<PpoRunConfig.Reward> funcs = List.of();
    if (a.generates()) {
      ConfigSection g = f.section("generation", PpoRunConfig.GENERATION_KEYS);
      generation =
          new PpoRunConfig.Generation(
              g.get("max_new_tokens", Integer.class),
              g.get("eos_token_id", Long.class),
              g.get("top_k", Integer.class),
              g.get("top_p", Double.class));
      ConfigSection d = f.section("data", PpoRunConfig.DATA_KEYS);
      @SuppressWarnings("unchecked")
      List<List<Long>> ids = (List<List<Long>>) d.get("ids", listOf(listOf(Long.class)));
      @SuppressWarnings("unchecked")
      List<String> texts = (List<String>) d.get("texts", listOf(String.class));
      prompts = d.build(() -> new PpoRunConfig.Prompts(ids, texts, d.get("path", String.class)));
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
        run);
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

  private static Type listOf(Type element) {
    return parameterized(List.class, element);
  }

  private static Type mapOf(Type value) {
    return parameterized(Map.class, String.class, value);
  }

  private static Type parameterized(Class<?> raw, Type... args) {
    return new ParameterizedType() {
      @Override
      public Type[] getActualTypeArguments() {
        return args.clone();
      }

      @Override
      public Type getRawType() {
        return raw;
      }

      @Override
      public Type getOwnerType() {
        return null;
      }
    };
  }
}

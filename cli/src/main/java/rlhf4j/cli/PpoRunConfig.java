package rlhf4j.cli;

import static rlhf4j.cli.YamlTypes.listOf;
import static rlhf4j.cli.YamlTypes.mapOf;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.cli.config.ConfigBinder;
import rlhf4j.cli.config.ConfigFile;
import rlhf4j.cli.config.ConfigSection;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.ppo.PpoConfig;

/**
 * The YAML file of {@code rlhf4j ppo --config FILE}. The {@code lora} keys bind onto {@link
 * LoraConfig}'s builder (PEFT names) and the {@code trainer} keys onto {@link PpoConfig}'s (TRL's
 * classic {@code PPOConfig} names); unset keys keep their documented defaults, except that the
 * adapter defaults to r 8, lora_alpha 16, lora_dropout 0.05. Relative paths are resolved against
 * the working directory.
 *
 * @param model the policy: a preset or an HF folder
 * @param lora the adapter
 * @param loraSeed seed of the adapter's initialisation ({@code lora.seed}, default 0)
 * @param ppo PPO hyper-parameters
 * @param generation rollout settings
 * @param prompts the prompts ({@code data} section)
 * @param reward the reward function
 * @param run steps, output folder, checkpoints ({@code trainer} section)
 */
public record PpoRunConfig(
    ModelSource model,
    LoraConfig lora,
    long loraSeed,
    PpoConfig ppo,
    Generation generation,
    Prompts prompts,
    Reward reward,
    Run run) {

  /** TRL classic {@code PPOConfig} key → {@link PpoConfig.Builder} method, where names differ. */
  static final Map<String, String> PPO_ALIASES =
      Map.of(
          "adap_kl_ctrl", "adaptiveKl",
          "target", "klTarget",
          "horizon", "klHorizon",
          "cliprange", "clipRange",
          "cliprange_value", "valueClipRange");

  /** The {@code trainer} keys bound onto {@link PpoConfig.Builder}. */
  static final Map<String, String> PPO_KEYS =
      ConfigBinder.keys(PpoConfig.Builder.class, PPO_ALIASES);

  /** The {@code lora} keys bound onto {@link LoraConfig.Builder} (PEFT's names). */
  static final Map<String, String> LORA_KEYS =
      ConfigBinder.keys(LoraConfig.Builder.class, Map.of());

  static final List<String> RUN_KEYS =
      List.of(
          "max_steps", "output_dir", "save_steps", "save_total_limit", "gradient_checkpointing");
  static final List<String> GENERATION_KEYS =
      List.of("max_new_tokens", "eos_token_id", "top_k", "top_p");
  static final List<String> DATA_KEYS = List.of("ids", "texts", "path");
  static final List<String> REWARD_KEYS = List.of("name", "options");

  /**
   * Rollout settings; the sampling temperature is {@code trainer.temperature} and the sampling seed
   * is derived from {@code trainer.seed} and the step.
   *
   * @param maxNewTokens response length limit, default 32
   * @param eosTokenId a response ends at this id; default the model's (or tokenizer's) EOS, -1 for
   *     none
   * @param topK sample from the k most likely tokens only (biases the KL), default off
   * @param topP nucleus sampling (biases the KL), default off
   */
  public record Generation(Integer maxNewTokens, Long eosTokenId, Integer topK, Double topP) {
    /** The {@code generation} section of {@code f}. */
    static Generation read(ConfigFile f) {
      ConfigSection g = f.section("generation", GENERATION_KEYS);
      return new Generation(
          g.get("max_new_tokens", Integer.class),
          g.get("eos_token_id", Long.class),
          g.get("top_k", Integer.class),
          g.get("top_p", Double.class));
    }
  }

  /**
   * The prompts: exactly one of the three.
   *
   * @param ids token-id lists, e.g. {@code [[1, 2, 3], [4, 5]]}
   * @param texts prompt texts (need a tokenizer.json in model.dir)
   * @param path a .jsonl file (per line a JSON id array, a JSON string, or an object with "prompt"
   *     or "ids"; a "prompt" that is a list of messages is rendered with the tokenizer folder's
   *     chat template and generation prompt, and then every line must be so) or a text file (one
   *     prompt per line)
   */
  public record Prompts(List<List<Long>> ids, List<String> texts, String path) {
    /** Exactly one source. */
    public Prompts {
      int given = (ids == null ? 0 : 1) + (texts == null ? 0 : 1) + (path == null ? 0 : 1);
      if (given != 1) {
        throw new IllegalArgumentException("give exactly one of ids, texts and path, got " + given);
      }
    }

    /** The {@code data} section of {@code f}. */
    static Prompts read(ConfigFile f) {
      ConfigSection d = f.section("data", DATA_KEYS);
      @SuppressWarnings("unchecked")
      List<List<Long>> ids = (List<List<Long>>) d.get("ids", listOf(listOf(Long.class)));
      @SuppressWarnings("unchecked")
      List<String> texts = (List<String>) d.get("texts", listOf(String.class));
      return d.build(() -> new Prompts(ids, texts, d.get("path", String.class)));
    }
  }

  /**
   * The reward.
   *
   * @param name a built-in short name (length, keyword, regex) or a class name
   * @param options the reward's options (strings), e.g. {@code {target: 4, unit: tokens}}
   */
  public record Reward(String name, Map<String, String> options) {
    /** A name is required. */
    public Reward {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException(
            "name is missing: use length, keyword, regex or a class name");
      }
      options = options == null ? Map.of() : Map.copyOf(options);
    }
  }

  /**
   * The run (HF {@code TrainingArguments} names).
   *
   * @param maxSteps PPO steps to reach (a resumed run continues up to this)
   * @param outputDir metrics.jsonl, checkpoint-N/ and final/ go here
   * @param saveSteps save a checkpoint every this many steps, 0 (default): only at the end
   * @param saveTotalLimit keep only the newest this many checkpoints, 0 (default): all
   * @param gradientCheckpointing recompute each block in the backward instead of keeping its
   *     activations (HF {@code gradient_checkpointing}, default false): less memory, one more
   *     forward per update
   */
  public record Run(
      int maxSteps,
      Path outputDir,
      int saveSteps,
      int saveTotalLimit,
      boolean gradientCheckpointing) {
    /** Validates. */
    public Run {
      if (maxSteps < 1) {
        throw new IllegalArgumentException("max_steps must be >= 1, got " + maxSteps);
      }
      if (saveSteps < 0) {
        throw new IllegalArgumentException(
            "save_steps must be >= 0 (0 = only at the end), got " + saveSteps);
      }
      if (saveTotalLimit < 0) {
        throw new IllegalArgumentException(
            "save_total_limit must be >= 0 (0 = keep all), got " + saveTotalLimit);
      }
    }

    /**
     * The run keys of the {@code trainer} section.
     *
     * @param command the command's name, for the {@code output_dir} example ("runs/ppo")
     */
    static Run read(ConfigSection t, String command) {
      return t.build(
          () ->
              new Run(
                  t.require("max_steps", Integer.class, "the step count to reach, e.g. 20"),
                  Path.of(t.require("output_dir", String.class, "e.g. runs/" + command)),
                  t.get("save_steps", Integer.class, 0),
                  t.get("save_total_limit", Integer.class, 0),
                  t.get("gradient_checkpointing", Boolean.class, false)));
    }
  }

  /** The adapter of the {@code lora} section, from r 8, alpha 16 and dropout 0.05. */
  static LoraConfig readLora(ConfigSection l) {
    LoraConfig.Builder lb =
        l.bind(LoraConfig.builder().r(8).loraAlpha(16).loraDropout(0.05), LORA_KEYS);
    return l.build(lb::build);
  }

  /** Every section and its keys, in order (for --help and messages). */
  static Map<String, List<String>> sections() {
    Map<String, List<String>> out = new LinkedHashMap<>();
    out.put("model", ModelSource.KEYS);
    List<String> lora = new ArrayList<>(LORA_KEYS.keySet());
    lora.add("seed");
    out.put("lora", lora);
    List<String> trainer = new ArrayList<>(RUN_KEYS);
    trainer.addAll(PPO_KEYS.keySet());
    out.put("trainer", trainer);
    out.put("generation", GENERATION_KEYS);
    out.put("data", DATA_KEYS);
    out.put("reward", REWARD_KEYS);
    return out;
  }

  /**
   * Reads and validates a YAML file.
   *
   * @throws IllegalArgumentException naming the file and the key: an unknown key (with the closest
   *     and the valid ones), a wrong type, a missing section or an invalid value
   */
  public static PpoRunConfig read(Path file) {
    Map<String, List<String>> sections = sections();
    ConfigFile f = ConfigFile.read(file, sections.keySet(), "cli/configs/ppo.yaml");
    for (String required : List.of("data", "reward", "trainer")) {
      if (!f.has(required)) {
        throw new IllegalArgumentException(
            file + ": section '" + required + "' is missing; see cli/configs/ppo.yaml");
      }
    }
    ModelSource model = ModelSource.read(f, ModelSource.KEYS);

    ConfigSection l = f.section("lora", sections.get("lora"));
    LoraConfig lora = readLora(l);
    long loraSeed = l.get("seed", Long.class, 0L);

    ConfigSection t = f.section("trainer", sections.get("trainer"));
    Run run = Run.read(t, "ppo");
    PpoConfig.Builder pb = t.bind(PpoConfig.builder(), PPO_KEYS);
    PpoConfig ppo = t.build(pb::build);

    Generation generation = Generation.read(f);
    Prompts prompts = Prompts.read(f);

    ConfigSection r = f.section("reward", REWARD_KEYS);
    @SuppressWarnings("unchecked")
    Map<String, String> options = (Map<String, String>) r.get("options", mapOf(String.class));
    Reward reward = r.build(() -> new Reward(r.get("name", String.class), options));
    return new PpoRunConfig(model, lora, loraSeed, ppo, generation, prompts, reward, run);
  }
}

package rlhf4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.ppo.PpoConfig;
import rlhf4j.ppo.math.KlPenalty;

/**
 * The YAML file of {@code rlhf4j ppo --config FILE}: one record per section, keys in snake_case.
 * Unset keys keep their documented defaults (PPO: TRL's classic {@code PPOConfig}; LoRA: r 8, alpha
 * 16, dropout 0.05, the family's default targets). Relative paths are resolved against the working
 * directory.
 *
 * @param model the policy: a preset or an HF folder
 * @param lora the adapter
 * @param ppo PPO hyper-parameters
 * @param generation rollout settings
 * @param prompts the prompts
 * @param reward the reward function
 * @param train steps, output folder, checkpoints
 */
public record PpoRunConfig(
    Model model,
    Lora lora,
    Ppo ppo,
    Generation generation,
    Prompts prompts,
    Reward reward,
    Train train) {

  /** Validates that the required sections are present; fills the optional ones with defaults. */
  public PpoRunConfig {
    require(model, "model", "preset: nano, or dir: path/to/hf-model");
    require(prompts, "prompts", "ids: [[1, 2, 3]], texts: [...] or file: prompts.jsonl");
    require(reward, "reward", "name: length (or keyword, regex, or a class name)");
    require(train, "train", "steps: 20 and output_dir: runs/ppo");
    lora = lora == null ? new Lora(null, null, null, null, null) : lora;
    ppo = ppo == null ? emptyPpo() : ppo;
    generation = generation == null ? new Generation(null, null, null, null) : generation;
  }

  /**
   * Where the policy comes from.
   *
   * @param preset a seeded random model: nano, tiny, mini, small, tiny-llama, tiny-neox
   * @param dir an HF folder (config.json, model.safetensors, optional tokenizer.json)
   * @param seed weights seed of a preset, default 0
   */
  public record Model(String preset, String dir, Long seed) {
    /** Exactly one of preset and dir. */
    public Model {
      if ((preset == null) == (dir == null)) {
        throw new IllegalArgumentException(
            "model: give exactly one of preset (e.g. nano) and dir (an HF model folder)");
      }
    }
  }

  /**
   * The LoRA adapter.
   *
   * @param r rank, default 8
   * @param alpha scaling numerator, default 16
   * @param dropout adapter input dropout, default 0.05
   * @param targetModules module names, default the family's (GPT-2: c_attn)
   * @param seed initialisation seed, default 0
   */
  public record Lora(
      Integer r, Double alpha, Double dropout, List<String> targetModules, Long seed) {

    /** The {@link LoraConfig} these keys describe. */
    public LoraConfig toLoraConfig() {
      LoraConfig.Builder b =
          LoraConfig.builder()
              .r(r == null ? 8 : r)
              .loraAlpha(alpha == null ? 16 : alpha)
              .loraDropout(dropout == null ? 0.05 : dropout);
      if (targetModules != null) {
        b.targetModules(targetModules);
      }
      return b.build();
    }

    /** The initialisation seed. */
    public long seedOrDefault() {
      return seed == null ? 0 : seed;
    }
  }

  /**
   * PPO hyper-parameters; every key is optional and defaults to TRL's classic value (see {@link
   * PpoConfig}).
   */
  public record Ppo(
      Double learningRate,
      Double initKlCoef,
      Boolean adaptiveKl,
      Double klTarget,
      Long klHorizon,
      String klPenalty,
      Double gamma,
      Double lam,
      Double clipRange,
      Double valueClipRange,
      Double vfCoef,
      Integer batchSize,
      Integer miniBatchSize,
      Integer gradientAccumulationSteps,
      Integer ppoEpochs,
      Double maxGradNorm,
      Boolean earlyStopping,
      Double targetKl,
      Double ratioThreshold,
      Boolean whitenRewards,
      Boolean useScoreScaling,
      Boolean useScoreNorm,
      Double scoreClip,
      Double temperature,
      Long seed) {

    /** The validated {@link PpoConfig}: these keys over TRL's defaults. */
    public PpoConfig toPpoConfig() {
      PpoConfig.Builder b = PpoConfig.builder();
      set(learningRate, b::learningRate);
      set(initKlCoef, b::initKlCoef);
      set(adaptiveKl, b::adaptiveKl);
      set(klTarget, b::klTarget);
      set(klHorizon, b::klHorizon);
      if (klPenalty != null) {
        try {
          b.klPenalty(KlPenalty.valueOf(klPenalty.trim().toUpperCase(java.util.Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "ppo.kl_penalty: '" + klPenalty + "' is not one of kl, abs, mse, full");
        }
      }
      set(gamma, b::gamma);
      set(lam, b::lam);
      set(clipRange, b::clipRange);
      set(valueClipRange, b::valueClipRange);
      set(vfCoef, b::vfCoef);
      set(batchSize, b::batchSize);
      set(miniBatchSize, b::miniBatchSize);
      set(gradientAccumulationSteps, b::gradientAccumulationSteps);
      set(ppoEpochs, b::ppoEpochs);
      set(maxGradNorm, v -> b.maxGradNorm(v));
      set(earlyStopping, b::earlyStopping);
      set(targetKl, b::targetKl);
      set(ratioThreshold, b::ratioThreshold);
      set(whitenRewards, b::whitenRewards);
      set(useScoreScaling, b::useScoreScaling);
      set(useScoreNorm, b::useScoreNorm);
      set(scoreClip, v -> b.scoreClip(v));
      set(temperature, b::temperature);
      set(seed, b::seed);
      try {
        return b.build();
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("ppo: " + e.getMessage(), e);
      }
    }

    private static <T> void set(T value, java.util.function.Consumer<T> setter) {
      if (value != null) {
        setter.accept(value);
      }
    }
  }

  /**
   * Rollout settings; the sampling temperature is {@code ppo.temperature} and the sampling seed is
   * derived from {@code ppo.seed} and the step.
   *
   * @param maxNewTokens response length limit, default 32
   * @param eosTokenId a response ends at this id; default the model's (or tokenizer's) EOS, -1 for
   *     none
   * @param topK sample from the k most likely tokens only (biases the KL), default off
   * @param topP nucleus sampling (biases the KL), default off
   */
  public record Generation(Integer maxNewTokens, Long eosTokenId, Integer topK, Double topP) {}

  /**
   * The prompts: exactly one of the three.
   *
   * @param ids token-id lists, e.g. {@code [[1, 2, 3], [4, 5]]}
   * @param texts prompt texts (need a tokenizer.json in model.dir)
   * @param file a .jsonl file (per line a JSON id array, a JSON string, or an object with "prompt"
   *     or "ids") or a text file (one prompt per line)
   */
  public record Prompts(List<List<Long>> ids, List<String> texts, String file) {
    /** Exactly one source. */
    public Prompts {
      int given = (ids == null ? 0 : 1) + (texts == null ? 0 : 1) + (file == null ? 0 : 1);
      if (given != 1) {
        throw new IllegalArgumentException(
            "prompts: give exactly one of ids, texts and file, got " + given);
      }
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
            "reward.name is missing: use length, keyword, regex or a class name");
      }
      options = options == null ? Map.of() : Map.copyOf(options);
    }
  }

  /**
   * The run.
   *
   * @param steps PPO steps to reach (a resumed run continues up to this)
   * @param outputDir metrics.jsonl, checkpoint-N/ and final/ go here
   * @param checkpointEvery save a checkpoint every this many steps, default 0 (only at the end)
   * @param keepLast keep only the newest this many checkpoints, default 0 (all)
   */
  public record Train(Integer steps, String outputDir, Integer checkpointEvery, Integer keepLast) {
    /** Validates. */
    public Train {
      if (steps == null || steps < 1) {
        throw new IllegalArgumentException("train.steps must be >= 1, got " + steps);
      }
      if (outputDir == null || outputDir.isBlank()) {
        throw new IllegalArgumentException("train.output_dir is missing");
      }
      checkpointEvery = checkpointEvery == null ? 0 : checkpointEvery;
      keepLast = keepLast == null ? 0 : keepLast;
      if (checkpointEvery < 0) {
        throw new IllegalArgumentException(
            "train.checkpoint_every must be >= 0 (0 = only at the end), got " + checkpointEvery);
      }
      if (keepLast < 0) {
        throw new IllegalArgumentException(
            "train.keep_last must be >= 0 (0 = keep all), got " + keepLast);
      }
    }
  }

  // ------------------------------------------------------------------ reading

  private static final ObjectMapper MAPPER =
      new ObjectMapper(new YAMLFactory())
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

  /**
   * Reads and validates a YAML file.
   *
   * @throws IllegalArgumentException naming the file and the key: an unknown key (with the valid
   *     ones), a wrong type, a missing section or an invalid value
   */
  public static PpoRunConfig read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
    }
    if (text.isBlank()) {
      throw new IllegalArgumentException(file + ": is empty; see rlhf4j ppo --help for the keys");
    }
    try {
      JsonNode root = MAPPER.readTree(text);
      if (root == null || !root.isObject()) {
        throw new IllegalArgumentException(
            file + ": expected a mapping of sections (model, ppo, ...), got " + root);
      }
      checkKeys(file, root, PpoRunConfig.class, "");
      return MAPPER.treeToValue(root, PpoRunConfig.class);
    } catch (UnrecognizedPropertyException e) {
      String where = path(e, true);
      Class<?> owner = e.getReferringClass();
      throw new IllegalArgumentException(
          file
              + ": unknown key '"
              + (where.isEmpty() ? "" : where + ".")
              + e.getPropertyName()
              + "'; valid keys"
              + (where.isEmpty() ? "" : " in " + where)
              + ": "
              + String.join(", ", keys(owner)),
          e);
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IllegalArgumentException(file + ": " + cause.getMessage(), cause);
    } catch (JsonMappingException e) {
      throw new IllegalArgumentException(
          file + ": key '" + path(e, false) + "': " + e.getOriginalMessage(), e);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(file + ": not valid YAML: " + e.getOriginalMessage(), e);
    }
  }

  /** Rejects keys no record component declares, before any value is checked. */
  private static void checkKeys(Path file, JsonNode node, Class<?> type, String where) {
    if (!node.isObject() || !type.isRecord()) {
      return;
    }
    Map<String, RecordComponent> byKey = new LinkedHashMap<>();
    for (RecordComponent c : type.getRecordComponents()) {
      byKey.put(snake(c.getName()), c);
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      RecordComponent c = byKey.get(key);
      if (c == null) {
        throw new IllegalArgumentException(
            file
                + ": unknown key '"
                + (where.isEmpty() ? "" : where + ".")
                + key
                + "'; valid keys"
                + (where.isEmpty() ? "" : " in " + where)
                + ": "
                + String.join(", ", byKey.keySet()));
      }
      checkKeys(file, node.get(key), c.getType(), where.isEmpty() ? key : where + "." + key);
    }
  }

  private static String path(JsonMappingException e, boolean dropLast) {
    List<String> parts = new ArrayList<>();
    for (JsonMappingException.Reference r : e.getPath()) {
      parts.add(r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]");
    }
    if (dropLast && !parts.isEmpty()) {
      parts.remove(parts.size() - 1);
    }
    return String.join(".", parts).replace(".[", "[");
  }

  /** The YAML keys of a section record, in declaration order. */
  static List<String> keys(Class<?> section) {
    List<String> out = new ArrayList<>();
    if (section == null || !section.isRecord()) {
      return out;
    }
    for (RecordComponent c : section.getRecordComponents()) {
      out.add(snake(c.getName()));
    }
    return out;
  }

  /** Every section and its keys, in declaration order (for --help). */
  static Map<String, List<String>> sections() {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (RecordComponent c : PpoRunConfig.class.getRecordComponents()) {
      out.put(snake(c.getName()), keys(c.getType()));
    }
    return out;
  }

  static String snake(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
  }

  private static void require(Object section, String name, String example) {
    if (section == null) {
      throw new IllegalArgumentException(
          "section '" + name + "' is missing; e.g. " + name + ": {" + example + "}");
    }
  }

  private static Ppo emptyPpo() {
    return new Ppo(
        null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
        null, null, null, null, null, null, null, null, null, null);
  }

  /** Keys across all sections, sorted (for messages). */
  static String allKeys() {
    return sections().entrySet().stream()
        .map(e -> e.getKey() + ": " + new TreeSet<>(e.getValue()))
        .collect(Collectors.joining("; "));
  }
}

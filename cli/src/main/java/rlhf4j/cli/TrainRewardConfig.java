package rlhf4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import rlhf4j.policy.optim.AdamWConfig;
import rlhf4j.reward.model.RewardTrainerConfig;

/**
 * The YAML file of {@code rlhf4j train-reward}. Keys are snake_case; unknown keys are errors;
 * trainer keys left out take {@link RewardTrainerConfig}'s defaults. Relative paths are resolved
 * against the working directory.
 *
 * @param model where the model comes from
 * @param tokenizer folder with {@code tokenizer.json}; defaults to {@code model.dir}
 * @param data the preference data
 * @param output folder the trained reward model is written to
 * @param logEvery print training metrics every this many steps (default 10)
 * @param trainer trainer settings, each optional
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record TrainRewardConfig(
    Model model, String tokenizer, Data data, String output, Integer logEvery, Trainer trainer) {

  /**
   * The model: an HF folder or a preset.
   *
   * @param dir an HF language model (gets a fresh score head) or a saved reward model (trained
   *     further)
   * @param preset a seeded random GPT-2/Llama/NeoX shape (nano, tiny, mini, small, tiny-llama,
   *     tiny-neox)
   * @param seed seed of the preset weights and of a fresh score head (default 0)
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Model(String dir, String preset, Long seed) {}

  /**
   * The preference data.
   *
   * @param file JSONL with prompt (optional), chosen, rejected, margin (optional)
   * @param evalFraction fraction held out to measure accuracy (default 0.1)
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Data(String file, Double evalFraction) {}

  /** Trainer settings; see {@link RewardTrainerConfig} for meanings and defaults. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Trainer(
      Integer epochs,
      Integer batchSize,
      Integer evalBatchSize,
      Double learningRate,
      String schedule,
      Double warmupRatio,
      Double weightDecay,
      Double maxGradNorm,
      Double centerRewardsCoefficient,
      Integer maxLength,
      Long seed) {}

  private static final PropertyNamingStrategies.NamingBase SNAKE =
      (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;

  /** Checks the required keys and their combinations; messages name the key. */
  public TrainRewardConfig {
    if (model == null) {
      throw new IllegalArgumentException("key 'model' is missing (give model.dir or model.preset)");
    }
    if ((model.dir() == null) == (model.preset() == null)) {
      throw new IllegalArgumentException("give exactly one of model.dir and model.preset");
    }
    if (tokenizer == null && model.dir() == null) {
      throw new IllegalArgumentException(
          "key 'tokenizer' is missing: a preset model needs a tokenizer folder");
    }
    if (data == null || data.file() == null) {
      throw new IllegalArgumentException("key 'data.file' is missing (a JSONL preference file)");
    }
    if (data.evalFraction() != null && !(data.evalFraction() >= 0 && data.evalFraction() < 1)) {
      throw new IllegalArgumentException(
          "data.eval_fraction must be in [0, 1), got " + data.evalFraction());
    }
    if (output == null) {
      throw new IllegalArgumentException("key 'output' is missing (the folder to write)");
    }
    if (logEvery != null && logEvery <= 0) {
      throw new IllegalArgumentException("log_every must be > 0, got " + logEvery);
    }
  }

  /** The tokenizer folder. */
  public Path tokenizerDir() {
    return Path.of(tokenizer != null ? tokenizer : model.dir());
  }

  /** The seed of preset weights and a fresh score head. */
  public long modelSeed() {
    return model.seed() == null ? 0 : model.seed();
  }

  /** The held-out fraction. */
  public double evalFraction() {
    return data.evalFraction() == null ? 0.1 : data.evalFraction();
  }

  /** Steps between printed metric lines. */
  public int logEveryOrDefault() {
    return logEvery == null ? 10 : logEvery;
  }

  /** The trainer config: the given keys over {@link RewardTrainerConfig#defaults()}. */
  public RewardTrainerConfig trainerConfig() {
    RewardTrainerConfig.Builder b = RewardTrainerConfig.builder();
    Trainer t = trainer;
    if (t == null) {
      return b.build();
    }
    try {
      if (t.epochs() != null) {
        b.optEpochs(t.epochs());
      }
      if (t.batchSize() != null) {
        b.optBatchSize(t.batchSize());
      }
      if (t.evalBatchSize() != null) {
        b.optEvalBatchSize(t.evalBatchSize());
      }
      if (t.learningRate() != null) {
        b.optLearningRate(t.learningRate());
      }
      if (t.schedule() != null) {
        b.optSchedule(schedule(t.schedule()));
      }
      if (t.warmupRatio() != null) {
        b.optWarmupRatio(t.warmupRatio());
      }
      if (t.weightDecay() != null) {
        b.optOptimizer(AdamWConfig.builder().optWeightDecay(t.weightDecay()).build());
      }
      if (t.maxGradNorm() != null) {
        b.optMaxGradNorm(t.maxGradNorm());
      }
      if (t.centerRewardsCoefficient() != null) {
        b.optCenterRewardsCoefficient(t.centerRewardsCoefficient());
      }
      if (t.maxLength() != null) {
        b.optMaxLength(t.maxLength());
      }
      if (t.seed() != null) {
        b.optSeed(t.seed());
      }
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("trainer: " + e.getMessage(), e);
    }
  }

  private static RewardTrainerConfig.Schedule schedule(String s) {
    try {
      return RewardTrainerConfig.Schedule.valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "schedule must be one of constant, linear, cosine, got '" + s + "'");
    }
  }

  /**
   * Reads and validates a YAML config file.
   *
   * @throws IllegalArgumentException naming the file, the key and what is wrong (for an unknown
   *     key: the valid keys at that place)
   */
  public static TrainRewardConfig read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + ": config file not found");
    }
    ObjectMapper mapper =
        new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    try {
      // unknown keys first: Jackson reports them only after the record's own checks have run
      checkKeys(file, mapper.readTree(file.toFile()), TrainRewardConfig.class, "");
      TrainRewardConfig c = mapper.readValue(file.toFile(), TrainRewardConfig.class);
      if (c == null) {
        throw new IllegalArgumentException(file + ": the config file is empty");
      }
      return c;
    } catch (UnrecognizedPropertyException e) {
      throw unknownKey(
          file,
          keyPath(e),
          e.getKnownPropertyIds().stream().map(Object::toString).collect(Collectors.toList()));
    } catch (JsonMappingException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IllegalArgumentException iae
          && !(cause instanceof JsonMappingException)) {
        throw new IllegalArgumentException(file + ": " + iae.getMessage(), e);
      }
      throw new IllegalArgumentException(
          file
              + ":"
              + line(e)
              + ": bad value"
              + (keyPath(e).isEmpty() ? "" : " for key '" + keyPath(e) + "'")
              + ": "
              + e.getOriginalMessage().lines().findFirst().orElse(""),
          e);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          file + ":" + line(e) + ": not valid YAML: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** Rejects keys that {@code type} (a record, snake_case names) does not have, recursively. */
  private static void checkKeys(Path file, JsonNode node, Class<?> type, String path) {
    if (node == null || !node.isObject() || !type.isRecord()) {
      return;
    }
    Map<String, Class<?>> known = new TreeMap<>();
    for (RecordComponent c : type.getRecordComponents()) {
      known.put(SNAKE.translate(c.getName()), c.getType());
    }
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      String key = path.isEmpty() ? name : path + "." + name;
      if (!known.containsKey(name)) {
        throw unknownKey(file, key, known.keySet());
      }
      checkKeys(file, node.get(name), known.get(name), key);
    }
  }

  private static IllegalArgumentException unknownKey(
      Path file, String key, Collection<String> valid) {
    String parent = key.contains(".") ? key.substring(0, key.lastIndexOf('.')) : "";
    return new IllegalArgumentException(
        file
            + ": unknown key '"
            + key
            + "'; valid keys "
            + (parent.isEmpty() ? "at the top level" : "under '" + parent + "'")
            + ": "
            + new TreeSet<>(valid));
  }

  private static String keyPath(JsonMappingException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining("."));
  }

  private static int line(JsonProcessingException e) {
    return e.getLocation() == null ? 0 : e.getLocation().getLineNr();
  }
}

package rlhf4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.TreeSet;
import java.util.stream.Collectors;
import rlhf4j.policy.sft.SftConfig;

/**
 * The YAML file of {@code rlhf4j sft} (keys in snake_case; relative paths resolve against the
 * working directory). See {@code cli/configs/sft.yaml}.
 *
 * @param model where the model and tokenizer come from
 * @param data the training set
 * @param output folder the fine-tuned model is saved to (HF layout plus tokenizer files)
 * @param trainer trainer settings; omitted keys keep {@link SftConfig}'s defaults
 */
public record SftConfigFile(Model model, Data data, String output, Trainer trainer) {

  /**
   * The model: {@code dir} (an HF folder with its tokenizer), or {@code preset} plus {@code
   * tokenizer}.
   *
   * @param dir HF model folder (config.json, model.safetensors, tokenizer.json)
   * @param preset seeded random model: nano, tiny, mini, small, tiny-llama, tiny-neox
   * @param tokenizer folder with tokenizer.json (required with {@code preset}; optional with {@code
   *     dir}, which then supplies it)
   * @param vocabFromTokenizer with {@code preset}: size the vocabulary to the tokenizer's and take
   *     its BOS/EOS/PAD ids (default false)
   * @param seed weight seed for {@code preset} (default 0)
   */
  public record Model(
      String dir, String preset, String tokenizer, Boolean vocabFromTokenizer, Long seed) {}

  /**
   * The training set.
   *
   * @param path JSONL file, one object per line: {@code {"text": ...}} or {@code {"prompt": ...,
   *     "completion": ...}}
   */
  public record Data(String path) {}

  /** Trainer settings; each null field keeps the {@link SftConfig} default. */
  public record Trainer(
      Double learningRate,
      Integer epochs,
      Long maxSteps,
      Integer batchSize,
      Integer maxLength,
      String scheduler,
      Double warmupRatio,
      Double weightDecay,
      Double maxGradNorm,
      Long seed,
      Boolean completionOnlyLoss,
      Boolean packing,
      Integer logEvery) {

    /** The trainer config: {@link SftConfig#defaults()} with the given fields replaced. */
    public SftConfig toSftConfig() {
      SftConfig.Builder b = SftConfig.builder();
      if (learningRate != null) {
        b.learningRate(learningRate);
      }
      if (epochs != null) {
        b.epochs(epochs);
      }
      if (maxSteps != null) {
        b.maxSteps(maxSteps);
      }
      if (batchSize != null) {
        b.batchSize(batchSize);
      }
      if (maxLength != null) {
        b.maxLength(maxLength);
      }
      if (scheduler != null) {
        b.scheduler(scheduler(scheduler));
      }
      if (warmupRatio != null) {
        b.warmupRatio(warmupRatio);
      }
      if (weightDecay != null) {
        b.weightDecay(weightDecay);
      }
      if (maxGradNorm != null) {
        b.maxGradNorm(maxGradNorm);
      }
      if (seed != null) {
        b.seed(seed);
      }
      if (completionOnlyLoss != null) {
        b.completionOnlyLoss(completionOnlyLoss);
      }
      if (packing != null) {
        b.packing(packing);
      }
      if (logEvery != null) {
        b.logEvery(logEvery);
      }
      return b.build();
    }

    private static SftConfig.Scheduler scheduler(String name) {
      try {
        return SftConfig.Scheduler.valueOf(name.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "trainer.scheduler must be constant, linear or cosine, got '" + name + "'");
      }
    }
  }

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  /**
   * Reads and checks {@code file}.
   *
   * @throws IllegalArgumentException naming the file and the key for a missing file, an unknown key
   *     (listing the valid ones), a value of the wrong type or a missing section
   */
  public static SftConfigFile read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("config file " + file + " does not exist");
    }
    SftConfigFile c;
    try {
      c = YAML.readValue(file.toFile(), SftConfigFile.class);
    } catch (UnrecognizedPropertyException e) {
      String valid =
          e.getKnownPropertyIds().stream()
              .map(Object::toString)
              .collect(Collectors.toCollection(TreeSet::new))
              .toString();
      throw new IllegalArgumentException(
          file + ": unknown key '" + path(e) + "'; valid keys here: " + valid, e);
    } catch (JsonMappingException e) {
      throw new IllegalArgumentException(
          file + ": bad value at '" + path(e) + "': " + e.getOriginalMessage(), e);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(file + ": not valid YAML: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
    }
    if (c == null) {
      throw new IllegalArgumentException(file + " is empty; see cli/configs/sft.yaml");
    }
    c.check(file);
    try {
      c.sftConfig();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          file + ": trainer." + snakeCaseFirstWord(e.getMessage()), e);
    }
    return c;
  }

  /** {@code "learningRate must be > 0"} → {@code "learning_rate must be > 0"}. */
  static String snakeCaseFirstWord(String message) {
    int end = message.indexOf(' ');
    String word = end < 0 ? message : message.substring(0, end);
    if (message.startsWith("trainer.")) {
      return message.substring("trainer.".length());
    }
    return PropertyNamingStrategies.SnakeCaseStrategy.INSTANCE.translate(word)
        + (end < 0 ? "" : message.substring(end));
  }

  private static String path(JsonMappingException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining("."));
  }

  private void check(Path file) {
    if (model == null) {
      throw new IllegalArgumentException(file + ": missing section 'model' (dir, or preset)");
    }
    if ((model.dir() == null) == (model.preset() == null)) {
      throw new IllegalArgumentException(
          file + ": give exactly one of model.dir (HF folder) or model.preset");
    }
    if (model.preset() != null && model.tokenizer() == null) {
      throw new IllegalArgumentException(
          file + ": model.preset needs model.tokenizer (a folder with tokenizer.json)");
    }
    if (model.dir() != null && model.vocabFromTokenizer() != null) {
      throw new IllegalArgumentException(
          file + ": model.vocab_from_tokenizer applies only to model.preset");
    }
    if (data == null || data.path() == null) {
      throw new IllegalArgumentException(file + ": missing data.path (a JSONL file)");
    }
    if (output == null || output.isBlank()) {
      throw new IllegalArgumentException(file + ": missing 'output' (the folder to save to)");
    }
  }

  /** The trainer config (defaults when the section is absent). */
  public SftConfig sftConfig() {
    return trainer == null ? SftConfig.defaults() : trainer.toSftConfig();
  }
}

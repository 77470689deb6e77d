package rlhf4j.policy.hf;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import rlhf4j.policy.family.Architecture;
import rlhf4j.policy.family.Architectures;
import rlhf4j.policy.io.AtomicFiles;
import rlhf4j.policy.io.CheckpointException;
import rlhf4j.policy.model.ModelConfig;

/**
 * Reads and writes HF {@code config.json} and {@code generation_config.json}: the file edge and the
 * fields every family shares; the family's own fields are read and written by its {@link
 * Architecture}. HF field names live here and in the architectures, nowhere else.
 */
public final class HfConfig {
  /** {@code model_type} values rlhf4j can load. */
  public static final List<String> SUPPORTED_MODEL_TYPES = Architectures.supportedModelTypes();

  private HfConfig() {}

  /** Why {@code p}, which exists as a name, cannot be read as a file. */
  static String notARegularFile(Path p) {
    if (Files.isSymbolicLink(p) && !Files.exists(p)) {
      return "is a broken symbolic link or a link loop";
    }
    return Files.isDirectory(p) ? "is a folder, not a file" : "is not a regular file";
  }

  /** Parses {@code dir/config.json}, filling special token ids from generation_config.json. */
  public static ModelConfig read(Path dir) {
    Path file = dir.resolve("config.json");
    if (!Files.isDirectory(dir)) {
      throw CheckpointException.of(
          dir,
          (Files.exists(dir) ? "is not a folder" : "does not exist")
              + ": point --model at a HuggingFace model folder");
    }
    if (!Files.isRegularFile(file)) {
      throw CheckpointException.of(
          dir,
          Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)
              ? "config.json " + notARegularFile(file)
              : "has no config.json: point --model at a HuggingFace model folder");
    }
    JsonObject json = parseObject(file);
    Path gen = dir.resolve("generation_config.json");
    JsonObject genJson = Files.isRegularFile(gen) ? parseObject(gen) : new JsonObject();
    try {
      return fromJson(json, genJson);
    } catch (IllegalArgumentException | IllegalStateException | ClassCastException e) {
      throw CheckpointException.of(file, e.getMessage());
    }
  }

  static JsonObject parseObject(Path file) {
    try {
      JsonElement el = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
      if (!el.isJsonObject()) {
        throw CheckpointException.of(file, "is not a JSON object");
      }
      return el.getAsJsonObject();
    } catch (IOException e) {
      throw new CheckpointException(file + ": cannot read: " + e.getMessage(), e);
    } catch (com.google.gson.JsonParseException e) {
      throw CheckpointException.of(file, "is not valid JSON: " + e.getMessage());
    }
  }

  /** Builds a config from parsed config.json (and generation_config.json, may be empty). */
  public static ModelConfig fromJson(JsonObject j, JsonObject gen) {
    JsonElement typeField = j.get("model_type");
    if (typeField == null || typeField.isJsonNull()) {
      throw new IllegalArgumentException(
          "field model_type is missing (supported: " + SUPPORTED_MODEL_TYPES + ")");
    }
    String type = typeField.getAsString();
    Architecture arch = Architectures.forModelType(type);
    return arch.readHfConfig(type, j)
        .bosTokenId(tokenId(j, gen, "bos_token_id"))
        .eosTokenId(tokenId(j, gen, "eos_token_id"))
        .padTokenId(tokenId(j, gen, "pad_token_id"))
        .build();
  }

  /** The config.json HF would write for {@code c}. */
  public static JsonObject toJson(ModelConfig c) {
    JsonObject j = new JsonObject();
    j.addProperty("model_type", c.modelType());
    j.addProperty("vocab_size", c.vocabSize());
    Architectures.of(c).writeHfConfig(c, j);
    specialTokens(j, c);
    j.addProperty("torch_dtype", "float32");
    return j;
  }

  private static void specialTokens(JsonObject j, ModelConfig c) {
    if (c.bosTokenId() >= 0) {
      j.addProperty("bos_token_id", c.bosTokenId());
    }
    if (c.eosTokenId() >= 0) {
      j.addProperty("eos_token_id", c.eosTokenId());
    }
    if (c.padTokenId() >= 0) {
      j.addProperty("pad_token_id", c.padTokenId());
    }
  }

  /** Writes {@code config.json} and {@code generation_config.json} into {@code dir}. */
  public static void write(ModelConfig c, Path dir) throws IOException {
    Files.createDirectories(dir);
    var gson = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
    AtomicFiles.writeString(dir.resolve("config.json"), gson.toJson(toJson(c)) + "\n");
    JsonObject gen = new JsonObject();
    specialTokens(gen, c);
    AtomicFiles.writeString(dir.resolve("generation_config.json"), gson.toJson(gen) + "\n");
  }

  /** A token id from config.json, else generation_config.json; the first of a list; -1 if none. */
  private static int tokenId(JsonObject j, JsonObject gen, String field) {
    for (JsonObject o : new JsonObject[] {j, gen}) {
      JsonElement e = o.get(field);
      if (e == null || e.isJsonNull()) {
        continue;
      }
      if (e.isJsonArray()) {
        return e.getAsJsonArray().isEmpty() ? -1 : e.getAsJsonArray().get(0).getAsInt();
      }
      return e.getAsInt();
    }
    return -1;
  }
}

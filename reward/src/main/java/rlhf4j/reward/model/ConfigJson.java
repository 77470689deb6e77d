package rlhf4j.reward.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import rlhf4j.policy.io.CheckpointException;

/** Reads the fields of a folder's {@code config.json} that tell a reward model from an LM. */
final class ConfigJson {
  private ConfigJson() {}

  /** {@code dir/config.json} as a JSON object; errors name the file. */
  static JsonObject read(Path dir) {
    return readObject(dir.resolve("config.json"));
  }

  /** A JSON object file; errors name the file. */
  static JsonObject readObject(Path file) {
    try {
      JsonElement e = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
      if (!e.isJsonObject()) {
        throw CheckpointException.of(file, "is not a JSON object");
      }
      return e.getAsJsonObject();
    } catch (IOException e) {
      throw new CheckpointException(file + ": cannot read: " + e.getMessage(), e);
    } catch (JsonParseException e) {
      throw CheckpointException.of(file, "is not valid JSON: " + e.getMessage());
    }
  }

  /** Whether {@code architectures} names a {@code *ForSequenceClassification} class. */
  static boolean isSequenceClassification(JsonObject json) {
    JsonElement archs = json.get("architectures");
    if (archs != null && archs.isJsonArray()) {
      for (JsonElement a : archs.getAsJsonArray()) {
        if (a.isJsonPrimitive() && a.getAsString().endsWith("ForSequenceClassification")) {
          return true;
        }
      }
    }
    return false;
  }

  /** num_labels, else the size of id2label, else -1 (not declared: a language model's config). */
  static int numLabels(JsonObject json) {
    JsonElement n = json.get("num_labels");
    if (n != null && n.isJsonPrimitive()) {
      return n.getAsInt();
    }
    JsonElement id2label = json.get("id2label");
    if (id2label != null && id2label.isJsonObject()) {
      return id2label.getAsJsonObject().size();
    }
    return -1;
  }
}

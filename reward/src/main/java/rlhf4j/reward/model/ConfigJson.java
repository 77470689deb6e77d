package rlhf4j.reward.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import rlhf4j.policy.io.RecordJson;

/** Reads the fields of a folder's {@code config.json} that tell a reward model from an LM. */
final class ConfigJson {
  private ConfigJson() {}

  /** {@code dir/config.json} as a JSON object; errors name the file. */
  static JsonObject read(Path dir) {
    return RecordJson.readObject(
        dir.resolve("config.json"), "pass an HF model folder (config.json, model.safetensors)");
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

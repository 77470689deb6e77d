package rlhf4j.policy.lora;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import rlhf4j.policy.io.CheckpointException;

/**
 * PEFT's {@code adapter_config.json}: reads what any PEFT version writes (keys rlhf4j does not know
 * are ignored and reported, as PEFT ≥ 0.14 does) and writes only the keys PEFT 0.10 knows, sorted,
 * indented by 2, like {@code json.dumps(..., indent=2, sort_keys=True)}, so every PEFT from 0.10 on
 * loads it.
 */
public final class AdapterConfigFile {
  /** PEFT's CONFIG_NAME. */
  public static final String CONFIG = "adapter_config.json";

  /** PEFT's SAFETENSORS_WEIGHTS_NAME. */
  public static final String WEIGHTS = "adapter_model.safetensors";

  /** The keys of PEFT 0.10's LoraConfig (and its parents), the only ones written. */
  static final Set<String> PEFT_010_KEYS =
      Set.of(
          "alpha_pattern",
          "auto_mapping",
          "base_model_name_or_path",
          "bias",
          "fan_in_fan_out",
          "inference_mode",
          "init_lora_weights",
          "layer_replication",
          "layers_pattern",
          "layers_to_transform",
          "loftq_config",
          "lora_alpha",
          "lora_dropout",
          "megatron_config",
          "megatron_core",
          "modules_to_save",
          "peft_type",
          "r",
          "rank_pattern",
          "revision",
          "target_modules",
          "task_type",
          "use_dora",
          "use_rslora");

  /**
   * Newer PEFT keys that change the adapter's maths when not at their default; rlhf4j refuses such
   * files rather than silently computing something else.
   */
  private static final Map<String, String> UNSUPPORTED_WHEN_SET =
      Map.of(
          "exclude_modules", "excluded modules",
          "lora_bias", "a bias on lora_B",
          "use_qalora", "QA-LoRA",
          "target_parameters", "LoRA on nn.Parameter targets",
          "trainable_token_indices", "trainable token embeddings",
          "alora_invocation_tokens", "activated LoRA (aLoRA)",
          "use_bdlora", "block-diagonal LoRA");

  private AdapterConfigFile() {}

  /**
   * A parsed adapter_config.json.
   *
   * @param config the LoRA configuration
   * @param ignoredKeys keys that were present but are unknown to rlhf4j (a warning was logged)
   */
  public record Read(LoraConfig config, List<String> ignoredKeys) {}

  /** Reads {@code dir/adapter_config.json}; errors name the file and the key. */
  public static Read read(Path dir) {
    Path file = dir.resolve(CONFIG);
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw CheckpointException.of(
          dir,
          "has no "
              + CONFIG
              + ": not a PEFT adapter folder (write one with PEFT's save_pretrained or"
              + " LoraModel.save)");
    } catch (IOException e) {
      throw new CheckpointException(file + ": cannot read: " + e.getMessage(), e);
    }
    JsonElement root;
    try {
      root = JsonParser.parseString(text);
    } catch (JsonParseException e) {
      throw CheckpointException.of(file, "is not valid JSON: " + e.getMessage());
    }
    if (!root.isJsonObject()) {
      throw CheckpointException.of(file, "is not a JSON object");
    }
    Read r = fromJson(root.getAsJsonObject(), file);
    List<String> set = withValues(root.getAsJsonObject(), r.ignoredKeys());
    if (!set.isEmpty()) {
      org.slf4j.LoggerFactory.getLogger(AdapterConfigFile.class)
          .warn(
              "{}: ignoring {} key(s) unknown to rlhf4j that carry a value (written by a newer"
                  + " PEFT?): {}",
              file,
              set.size(),
              set);
    }
    return r;
  }

  /**
   * Those of {@code keys} worth a warning: not absent, null, false or empty, and neither PEFT's
   * version stamp nor {@code qalora_group_size}, which only matters with {@code use_qalora} (a file
   * that sets it is refused before this). Every current PEFT file holds the others at such
   * defaults, which change nothing.
   */
  private static List<String> withValues(JsonObject j, List<String> keys) {
    List<String> out = new ArrayList<>();
    for (String k : keys) {
      JsonElement v = j.get(k);
      boolean empty =
          unset(v)
              || (v.isJsonArray() && v.getAsJsonArray().isEmpty())
              || (v.isJsonObject() && v.getAsJsonObject().isEmpty());
      if (!empty && !k.equals("peft_version") && !k.equals("qalora_group_size")) {
        out.add(k);
      }
    }
    return out;
  }

  /** Absent, null or false: how PEFT writes an option it does not use. */
  private static boolean unset(JsonElement v) {
    return v == null
        || v.isJsonNull()
        || (v.isJsonPrimitive() && v.getAsJsonPrimitive().isBoolean() && !v.getAsBoolean());
  }

  /** Parses an adapter config object; {@code file} is used in error messages only. */
  public static Read fromJson(JsonObject j, Path file) {
    JsonElement type = j.get("peft_type");
    if (type == null || type.isJsonNull()) {
      throw CheckpointException.of(file, "has no \"peft_type\": not a PEFT adapter config");
    }
    if (!"LORA".equals(type.getAsString())) {
      throw CheckpointException.of(
          file,
          "has peft_type \""
              + type.getAsString()
              + "\"; rlhf4j loads LoRA adapters (\"LORA\") only");
    }
    String task = optString(j, "task_type", file);
    if (task != null && !task.equals("CAUSAL_LM")) {
      throw CheckpointException.of(
          file,
          "has task_type \""
              + task
              + "\"; rlhf4j loads adapters made for causal language models (\"CAUSAL_LM\")");
    }
    if (bool(j, "use_dora", false, file)) {
      throw CheckpointException.of(file, "has use_dora true; rlhf4j does not implement DoRA");
    }
    if (present(j, "layer_replication")) {
      throw CheckpointException.of(
          file, "sets layer_replication; rlhf4j does not implement layer replication");
    }
    for (Map.Entry<String, String> e : UNSUPPORTED_WHEN_SET.entrySet()) {
      JsonElement v = j.get(e.getKey());
      if (!unset(v)) {
        throw CheckpointException.of(
            file,
            "sets \""
                + e.getKey()
                + "\" = "
                + v
                + " ("
                + e.getValue()
                + "), which rlhf4j does not implement; retrain without it");
      }
    }
    List<String> ignored = new ArrayList<>();
    for (String k : new TreeMap<>(j.asMap()).keySet()) {
      if (!PEFT_010_KEYS.contains(k)) {
        ignored.add(k);
      }
    }
    LoraConfig.Builder b = LoraConfig.builder();
    try {
      if (present(j, "r")) {
        b.r(wholeNumber(j.get("r"), "r", file));
      }
      if (present(j, "lora_alpha")) {
        b.loraAlpha(finiteNumber(j.get("lora_alpha"), "lora_alpha", file));
      }
      if (present(j, "lora_dropout")) {
        b.loraDropout(number(j, "lora_dropout", file).doubleValue());
      }
      JsonElement t = j.get("target_modules");
      if (t != null && !t.isJsonNull()) {
        if (t.isJsonArray()) {
          b.targetModules(strings(t.getAsJsonArray(), "target_modules", file));
        } else if (t.isJsonPrimitive() && t.getAsJsonPrimitive().isString()) {
          String s = t.getAsString();
          if (s.equals(LoraConfig.ALL_LINEAR)) {
            b.allLinear();
          } else {
            b.targetRegex(s);
          }
        } else {
          throw CheckpointException.of(file, "target_modules must be a list or a string, got " + t);
        }
      }
      String bias = optString(j, "bias", file);
      if (bias != null) {
        b.bias(LoraConfig.Bias.fromPeft(bias));
      }
      b.useRslora(bool(j, "use_rslora", false, file));
      JsonElement init = j.get("init_lora_weights");
      if (init != null && !init.isJsonNull()) {
        b.initLoraWeights(initFromJson(init, file));
      }
      JsonElement layers = j.get("layers_to_transform");
      if (layers != null && !layers.isJsonNull()) {
        List<Integer> idx = new ArrayList<>();
        if (layers.isJsonArray()) {
          for (JsonElement e : layers.getAsJsonArray()) {
            idx.add(wholeNumber(e, "layers_to_transform", file));
          }
        } else {
          idx.add(wholeNumber(layers, "layers_to_transform", file));
        }
        b.layersToTransform(idx);
      }
      JsonElement pattern = j.get("layers_pattern");
      if (pattern != null && !pattern.isJsonNull()) {
        if (pattern.isJsonArray()) {
          List<String> ps = strings(pattern.getAsJsonArray(), "layers_pattern", file);
          if (ps.size() != 1) {
            throw CheckpointException.of(
                file, "layers_pattern lists " + ps + "; rlhf4j supports one pattern");
          }
          b.layersPattern(ps.get(0));
        } else {
          b.layersPattern(pattern.getAsString());
        }
      }
      b.fanInFanOut(bool(j, "fan_in_fan_out", false, file));
      JsonElement mts = j.get("modules_to_save");
      if (mts != null && !mts.isJsonNull()) {
        if (!mts.isJsonArray()) {
          throw CheckpointException.of(file, "modules_to_save must be a list, got " + mts);
        }
        b.modulesToSave(strings(mts.getAsJsonArray(), "modules_to_save", file));
      }
      Map<String, Integer> ranks = new LinkedHashMap<>();
      for (Map.Entry<String, JsonElement> e : object(j, "rank_pattern", file).entrySet()) {
        ranks.put(e.getKey(), wholeNumber(e.getValue(), "rank_pattern." + e.getKey(), file));
      }
      b.rankPattern(ranks);
      Map<String, Double> alphas = new LinkedHashMap<>();
      for (Map.Entry<String, JsonElement> e : object(j, "alpha_pattern", file).entrySet()) {
        alphas.put(e.getKey(), finiteNumber(e.getValue(), "alpha_pattern." + e.getKey(), file));
      }
      b.alphaPattern(alphas);
      b.baseModelNameOrPath(optString(j, "base_model_name_or_path", file));
      return new Read(b.build(), List.copyOf(ignored));
    } catch (IllegalArgumentException | IllegalStateException | UnsupportedOperationException e) {
      throw new CheckpointException(file + ": " + e.getMessage(), e);
    }
  }

  private static LoraConfig.InitLoraWeights initFromJson(JsonElement init, Path file) {
    if (init.isJsonPrimitive() && init.getAsJsonPrimitive().isBoolean()) {
      return init.getAsBoolean()
          ? LoraConfig.InitLoraWeights.DEFAULT
          : LoraConfig.InitLoraWeights.RANDOM;
    }
    if (init.isJsonPrimitive() && "gaussian".equalsIgnoreCase(init.getAsString())) {
      return LoraConfig.InitLoraWeights.GAUSSIAN;
    }
    throw CheckpointException.of(
        file,
        "init_lora_weights "
            + init
            + " is not supported (rlhf4j knows true, false and \"gaussian\"; methods such as"
            + " PiSSA or OLoRA also rewrite the base weights)");
  }

  /** The JSON PEFT 0.10 writes for {@code c}: only its keys, inference_mode true. */
  public static JsonObject toJson(LoraConfig c) {
    TreeMap<String, JsonElement> m = new TreeMap<>();
    m.put("alpha_pattern", numberMap(c.alphaPattern()));
    m.put("auto_mapping", JsonNull.INSTANCE);
    m.put("base_model_name_or_path", stringOrNull(c.baseModelNameOrPath()));
    m.put("bias", new JsonPrimitive(c.bias().peftName()));
    m.put("fan_in_fan_out", new JsonPrimitive(c.fanInFanOut()));
    m.put("inference_mode", new JsonPrimitive(true));
    switch (c.initLoraWeights()) {
      case GAUSSIAN:
        m.put("init_lora_weights", new JsonPrimitive("gaussian"));
        break;
      case RANDOM:
        m.put("init_lora_weights", new JsonPrimitive(false));
        break;
      default:
        m.put("init_lora_weights", new JsonPrimitive(true));
    }
    m.put("layer_replication", JsonNull.INSTANCE);
    m.put("layers_pattern", stringOrNull(c.layersPattern()));
    if (c.layersToTransform() == null) {
      m.put("layers_to_transform", JsonNull.INSTANCE);
    } else {
      JsonArray a = new JsonArray();
      c.layersToTransform().forEach(a::add);
      m.put("layers_to_transform", a);
    }
    m.put("loftq_config", new JsonObject());
    m.put("lora_alpha", number(c.loraAlpha()));
    m.put("lora_dropout", new JsonPrimitive(c.loraDropout()));
    m.put("megatron_config", JsonNull.INSTANCE);
    m.put("megatron_core", new JsonPrimitive("megatron.core"));
    if (c.modulesToSave().isEmpty()) {
      m.put("modules_to_save", JsonNull.INSTANCE);
    } else {
      JsonArray a = new JsonArray();
      c.modulesToSave().forEach(a::add);
      m.put("modules_to_save", a);
    }
    m.put("peft_type", new JsonPrimitive("LORA"));
    m.put("r", new JsonPrimitive(c.r()));
    JsonObject ranks = new JsonObject();
    c.rankPattern().forEach(ranks::addProperty);
    m.put("rank_pattern", ranks);
    m.put("revision", JsonNull.INSTANCE);
    if (c.targetRegex() != null) {
      m.put("target_modules", new JsonPrimitive(c.targetRegex()));
    } else if (c.targetModules() == null) {
      m.put("target_modules", JsonNull.INSTANCE);
    } else {
      JsonArray a = new JsonArray();
      c.targetModules().forEach(a::add);
      m.put("target_modules", a);
    }
    m.put("task_type", new JsonPrimitive("CAUSAL_LM"));
    m.put("use_dora", new JsonPrimitive(false));
    m.put("use_rslora", new JsonPrimitive(c.useRslora()));
    JsonObject o = new JsonObject();
    m.forEach(o::add);
    return o;
  }

  /** Writes {@code dir/adapter_config.json} atomically, formatted as PEFT does. */
  public static void write(LoraConfig c, Path dir) throws IOException {
    Files.createDirectories(dir);
    Gson gson =
        new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping().create();
    byte[] bytes = gson.toJson(toJson(c)).getBytes(StandardCharsets.UTF_8);
    rlhf4j.policy.io.AtomicFiles.write(dir.resolve(CONFIG), out -> out.write(bytes));
  }

  private static JsonElement number(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15
        ? new JsonPrimitive((long) v)
        : new JsonPrimitive(v);
  }

  private static JsonObject numberMap(Map<String, Double> m) {
    JsonObject o = new JsonObject();
    m.forEach((k, v) -> o.add(k, number(v)));
    return o;
  }

  private static JsonElement stringOrNull(String s) {
    return s == null ? JsonNull.INSTANCE : new JsonPrimitive(s);
  }

  private static boolean present(JsonObject j, String key) {
    JsonElement e = j.get(key);
    return e != null && !e.isJsonNull();
  }

  /** A whole number in int range: {@code 8.7} or {@code 4294967304} (2^32 + 8) are refused. */
  private static int wholeNumber(JsonElement e, String key, Path file) {
    if (e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
      try {
        return new java.math.BigDecimal(e.getAsString()).intValueExact();
      } catch (ArithmeticException | NumberFormatException ex) {
        // refused below
      }
    }
    throw CheckpointException.of(file, key + " must be a whole number in int range, got " + e);
  }

  private static double finiteNumber(JsonElement e, String key, Path file) {
    if (e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
      double v = e.getAsDouble();
      if (Double.isFinite(v)) {
        return v;
      }
    }
    throw CheckpointException.of(file, key + " must be a finite number, got " + e);
  }

  private static Number number(JsonObject j, String key, Path file) {
    JsonElement e = j.get(key);
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      throw CheckpointException.of(file, key + " must be a number, got " + e);
    }
    return e.getAsNumber();
  }

  private static boolean bool(JsonObject j, String key, boolean dflt, Path file) {
    JsonElement e = j.get(key);
    if (e == null || e.isJsonNull()) {
      return dflt;
    }
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
      throw CheckpointException.of(file, key + " must be true or false, got " + e);
    }
    return e.getAsBoolean();
  }

  private static String optString(JsonObject j, String key, Path file) {
    JsonElement e = j.get(key);
    if (e == null || e.isJsonNull()) {
      return null;
    }
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
      throw CheckpointException.of(file, key + " must be a string, got " + e);
    }
    return e.getAsString();
  }

  private static JsonObject object(JsonObject j, String key, Path file) {
    JsonElement e = j.get(key);
    if (e == null || e.isJsonNull()) {
      return new JsonObject();
    }
    if (!e.isJsonObject()) {
      throw CheckpointException.of(file, key + " must be an object, got " + e);
    }
    return e.getAsJsonObject();
  }

  private static List<String> strings(JsonArray a, String key, Path file) {
    List<String> out = new ArrayList<>();
    for (JsonElement e : a) {
      if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
        throw CheckpointException.of(file, key + " must hold strings, got " + a);
      }
      out.add(e.getAsString());
    }
    return out;
  }
}

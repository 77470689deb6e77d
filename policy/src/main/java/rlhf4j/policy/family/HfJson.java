package rlhf4j.policy.family;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import rlhf4j.policy.model.AttentionType;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.model.RopeScaling;

/** Reading and writing HF config.json fields, shared by the architectures. */
final class HfJson {
  private HfJson() {}

  static int req(JsonObject j, String field) {
    JsonElement e = j.get(field);
    if (e == null || e.isJsonNull()) {
      throw new IllegalArgumentException("required field " + field + " is missing");
    }
    return exactInt(field, e);
  }

  static int intOr(JsonObject j, String field, int dflt) {
    JsonElement e = j.get(field);
    return e == null || e.isJsonNull() ? dflt : exactInt(field, e);
  }

  static double dbl(JsonObject j, String field, double dflt) {
    JsonElement e = j.get(field);
    return e == null || e.isJsonNull() ? dflt : finite(field, e);
  }

  static boolean bool(JsonObject j, String field, boolean dflt) {
    JsonElement e = j.get(field);
    if (e == null || e.isJsonNull()) {
      return dflt;
    }
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
      throw new IllegalArgumentException("field " + field + " must be true or false, got " + e);
    }
    return e.getAsBoolean();
  }

  static String str(JsonObject j, String field, String dflt) {
    JsonElement e = j.get(field);
    if (e == null || e.isJsonNull()) {
      return dflt;
    }
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
      throw new IllegalArgumentException("field " + field + " must be a string, got " + e);
    }
    return e.getAsString();
  }

  /**
   * A JSON number that is a whole number in int range, read exactly: {@code 4294968027} (2^32 +
   * 731) or {@code 8.7} are refused rather than wrapped or truncated.
   */
  static int exactInt(String field, JsonElement e) {
    if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
      try {
        return new java.math.BigDecimal(e.getAsString()).intValueExact();
      } catch (ArithmeticException | NumberFormatException ex) {
        // refused below
      }
    }
    throw new IllegalArgumentException(
        "field "
            + field
            + " must be a whole number from "
            + Integer.MIN_VALUE
            + " to "
            + Integer.MAX_VALUE
            + ", got "
            + e);
  }

  /** A finite JSON number. */
  static double finite(String field, JsonElement e) {
    if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
      double v = e.getAsDouble();
      if (Double.isFinite(v)) {
        return v;
      }
    }
    throw new IllegalArgumentException("field " + field + " must be a finite number, got " + e);
  }

  /** transformers ≥ 5 nests rope settings in {@code rope_parameters}; older configs are flat. */
  private static JsonObject ropeParameters(JsonObject j) {
    JsonElement e = j.get("rope_parameters");
    return e != null && e.isJsonObject() ? e.getAsJsonObject() : null;
  }

  static double ropeTheta(JsonObject j, double dflt) {
    JsonObject rp = ropeParameters(j);
    if (rp != null && rp.has("rope_theta")) {
      return finite("rope_parameters.rope_theta", rp.get("rope_theta"));
    }
    return dbl(j, "rope_theta", dflt);
  }

  static double ropeDouble(JsonObject j, String field, double dflt) {
    JsonObject rp = ropeParameters(j);
    if (rp != null && rp.has(field) && !rp.get(field).isJsonNull()) {
      return finite("rope_parameters." + field, rp.get(field));
    }
    return dbl(j, field, dflt);
  }

  /** The rope scaling object ({@code rope_parameters} in transformers 5, else rope_scaling). */
  private static JsonObject ropeScalingObject(JsonObject j) {
    JsonElement e = ropeParameters(j) != null ? j.get("rope_parameters") : j.get("rope_scaling");
    if (e == null || e.isJsonNull()) {
      return null;
    }
    if (!e.isJsonObject()) {
      throw new IllegalArgumentException("field rope_scaling must be an object or null, got " + e);
    }
    return e.getAsJsonObject();
  }

  private static String ropeType(JsonObject r) {
    return r.has("rope_type") ? str(r, "rope_type", "default") : str(r, "type", "default");
  }

  /** linear or llama3 rope scaling, or null; longrope is refused (Phi-3 only). */
  static RopeScaling ropeScaling(JsonObject j) {
    JsonObject r = ropeScalingObject(j);
    if (r == null || ropeType(r).equals("default")) {
      return null;
    }
    RopeScaling.Type type = RopeScaling.Type.fromHfName(ropeType(r));
    if (type == RopeScaling.Type.LONGROPE) {
      throw new IllegalArgumentException(
          "rope_scaling type 'longrope' is supported for phi3 only (transformers recomputes"
              + " Phi-3's cache when it switches factors), got it in a "
              + str(j, "model_type", "?")
              + " config");
    }
    return new RopeScaling(
        type,
        dbl(r, "factor", 1),
        dbl(r, "low_freq_factor", 1),
        dbl(r, "high_freq_factor", 4),
        intOr(r, "original_max_position_embeddings", 8192));
  }

  /**
   * Phi-3's rope scaling: as {@link #ropeScaling}, plus longrope (also under its old names {@code
   * su} and {@code yarn}, which configuration_phi3.py maps to longrope). {@code
   * original_max_position_embeddings} comes from the rope object (transformers 5) or the top level
   * (Phi3Config, default 4096); two different values are refused, since transformers 4 reads the
   * top level and 5 the rope object.
   */
  static RopeScaling phi3RopeScaling(JsonObject j) {
    JsonObject r = ropeScalingObject(j);
    String type = r == null ? "default" : ropeType(r);
    if (!List.of("longrope", "su", "yarn").contains(type)) {
      return ropeScaling(j);
    }
    int top = intOr(j, "original_max_position_embeddings", 4096); // Phi3Config default
    int original = intOr(r, "original_max_position_embeddings", top);
    if (j.has("original_max_position_embeddings") && original != top) {
      throw new IllegalArgumentException(
          "original_max_position_embeddings is "
              + top
              + " but rope_scaling.original_max_position_embeddings is "
              + original
              + "; transformers 4 and 5 would read different values: make them equal");
    }
    return RopeScaling.longRope(
        doubles(r, "short_factor"),
        doubles(r, "long_factor"),
        original,
        dbl(r, "factor", 0),
        dbl(r, "attention_factor", 0));
  }

  /** A required JSON list of finite numbers in {@code rope_scaling}. */
  private static List<Double> doubles(JsonObject r, String field) {
    JsonElement e = r.get(field);
    if (e == null || !e.isJsonArray()) {
      throw new IllegalArgumentException(
          "rope_scaling." + field + " must be a list of numbers for longrope, got " + e);
    }
    List<Double> out = new ArrayList<>();
    int i = 0;
    for (JsonElement v : e.getAsJsonArray()) {
      out.add(finite("rope_scaling." + field + "[" + i++ + "]", v));
    }
    return out;
  }

  /**
   * Writes {@code rope_scaling}. LongRoPE is written as released Phi-3 checkpoints have it ({@code
   * type}, {@code short_factor}, {@code long_factor}, plus {@code factor} / {@code
   * attention_factor} only when the config had them; transformers 4.4x's Phi3Config accepts no
   * other keys), with {@code original_max_position_embeddings} at the top level (Phi3Config's
   * field).
   */
  static void writeRopeScaling(JsonObject j, RopeScaling r) {
    if (r == null) {
      return;
    }
    JsonObject o = new JsonObject();
    if (r.type() == RopeScaling.Type.LONGROPE) {
      o.addProperty("type", r.type().hfName());
      JsonArray shortFactor = new JsonArray();
      r.shortFactor().forEach(shortFactor::add);
      JsonArray longFactor = new JsonArray();
      r.longFactor().forEach(longFactor::add);
      o.add("short_factor", shortFactor);
      o.add("long_factor", longFactor);
      if (r.factor() > 0) {
        o.addProperty("factor", r.factor());
      }
      if (r.attentionFactor() > 0) {
        o.addProperty("attention_factor", r.attentionFactor());
      }
      j.addProperty("original_max_position_embeddings", r.originalMaxPositions());
      j.add("rope_scaling", o);
      return;
    }
    o.addProperty("rope_type", r.type().hfName());
    o.addProperty("factor", r.factor());
    if (r.type() == RopeScaling.Type.LLAMA3) {
      o.addProperty("low_freq_factor", r.lowFreqFactor());
      o.addProperty("high_freq_factor", r.highFreqFactor());
      o.addProperty("original_max_position_embeddings", r.originalMaxPositions());
    }
    j.add("rope_scaling", o);
  }

  static void writeArchitectures(JsonObject j, String className) {
    JsonArray a = new JsonArray();
    a.add(className);
    j.add("architectures", a);
  }

  /**
   * How every Llama-derived config.json starts: {@code architectures}, the {@link #writeCommon}
   * fields and {@code num_key_value_heads}.
   */
  static void writeLlamaStart(JsonObject j, ModelConfig c, String causalLmClass) {
    writeArchitectures(j, causalLmClass);
    writeCommon(j, c);
    j.addProperty("num_key_value_heads", c.numKvHeads());
  }

  /** The fields Llama-style and GPT-NeoX configs name alike. */
  static void writeCommon(JsonObject j, ModelConfig c) {
    j.addProperty("hidden_size", c.hiddenSize());
    j.addProperty("num_hidden_layers", c.numLayers());
    j.addProperty("num_attention_heads", c.numHeads());
    j.addProperty("intermediate_size", c.intermediateSize());
    j.addProperty("max_position_embeddings", c.maxPositions());
    j.addProperty("hidden_act", c.activation().hfName());
    j.addProperty("tie_word_embeddings", c.tieWordEmbeddings());
  }

  /**
   * A sliding-window size field: absent means {@code dflt} (the HF config class's default), JSON
   * null means none (0).
   */
  static int windowOr(JsonObject j, String field, int dflt) {
    JsonElement e = j.get(field);
    if (e == null) {
      return dflt;
    }
    return e.isJsonNull() ? 0 : e.getAsInt();
  }

  /** {@code sliding_window}: the window when layers slide, else JSON null (Mistral, Phi-3). */
  static void writeWindowOrNull(JsonObject j, ModelConfig c) {
    if (c.hasSlidingLayers()) {
      j.addProperty("sliding_window", c.slidingWindow());
    } else {
      j.add("sliding_window", JsonNull.INSTANCE);
    }
  }

  /** {@code layer_types}: each layer's attention type by its HF name. */
  static JsonArray layerTypes(ModelConfig c) {
    JsonArray a = new JsonArray();
    for (int i = 0; i < c.numLayers(); i++) {
      a.add(c.slidingLayer(i) ? AttentionType.SLIDING.hfName() : AttentionType.FULL.hfName());
    }
    return a;
  }

  /**
   * Qwen2/Qwen3's window (configuration_qwen2.py {@code __post_init__}): {@code sliding_window}
   * only when {@code use_sliding_window}, else none.
   */
  static int qwenSlidingWindow(JsonObject j) {
    return bool(j, "use_sliding_window", false) ? windowOr(j, "sliding_window", 4096) : 0;
  }

  /**
   * Qwen2/Qwen3's layer types (configuration_qwen2.py {@code __post_init__}): {@code layer_types}
   * when given, else sliding from {@code max_window_layers} (default 28) on when a window is set;
   * empty when no layer slides (or no window is set, where HF's sliding layers see everything).
   */
  static List<AttentionType> qwenLayerTypes(JsonObject j, int layers, int window) {
    if (window == 0) {
      return List.of();
    }
    List<AttentionType> types = new ArrayList<>();
    JsonElement e = j.get("layer_types");
    if (e != null && e.isJsonArray()) {
      for (JsonElement t : e.getAsJsonArray()) {
        types.add(AttentionType.fromHfName(t.getAsString()));
      }
    } else {
      int maxWindowLayers = intOr(j, "max_window_layers", 28);
      for (int i = 0; i < layers; i++) {
        types.add(i >= maxWindowLayers ? AttentionType.SLIDING : AttentionType.FULL);
      }
    }
    return types.contains(AttentionType.SLIDING) ? types : List.of();
  }

  /** Writes Qwen2/Qwen3's sliding fields so {@link #qwenLayerTypes} reads back the same. */
  static void writeQwenSliding(JsonObject j, ModelConfig c) {
    j.addProperty("use_sliding_window", c.hasSlidingLayers());
    if (c.hasSlidingLayers()) {
      j.addProperty("sliding_window", c.slidingWindow());
      j.add("layer_types", layerTypes(c));
    } else {
      j.add("sliding_window", JsonNull.INSTANCE);
    }
    j.addProperty("max_window_layers", c.hasSlidingLayers() ? firstSliding(c) : c.numLayers());
  }

  private static int firstSliding(ModelConfig c) {
    return c.layerTypes().indexOf(AttentionType.SLIDING);
  }
}

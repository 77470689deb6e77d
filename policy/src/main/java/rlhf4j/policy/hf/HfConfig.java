package rlhf4j.policy.hf;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import rlhf4j.policy.io.AtomicFiles;
import rlhf4j.policy.io.CheckpointException;
import rlhf4j.policy.model.Family;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.model.RopeScaling;

/** Reads and writes HF {@code config.json}. HF field names live here and nowhere else. */
public final class HfConfig {
  /** {@code model_type} values rlhf4j can load. */
  public static final List<String> SUPPORTED_MODEL_TYPES =
      List.of("gpt2", "llama", "mistral", "qwen2", "gpt_neox");

  private HfConfig() {}

  /** Parses {@code dir/config.json}, filling special token ids from generation_config.json. */
  public static ModelConfig read(Path dir) {
    Path file = dir.resolve("config.json");
    if (!Files.isRegularFile(file)) {
      throw CheckpointException.of(
          dir, "has no config.json: point --model at a HuggingFace model folder");
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
    String type = str(j, "model_type", null);
    if (type == null) {
      throw new IllegalArgumentException(
          "field model_type is missing (supported: " + SUPPORTED_MODEL_TYPES + ")");
    }
    int bos = tokenId(j, gen, "bos_token_id");
    int eos = tokenId(j, gen, "eos_token_id");
    int pad = tokenId(j, gen, "pad_token_id");
    switch (type) {
      case "gpt2":
        {
          if (!bool(j, "scale_attn_weights", true)) {
            throw new IllegalArgumentException(
                "scale_attn_weights=false is not supported (set it to true)");
          }
          int d = req(j, "n_embd");
          int heads = req(j, "n_head");
          return new ModelConfig(
              Family.GPT2,
              type,
              req(j, "vocab_size"),
              d,
              req(j, "n_layer"),
              heads,
              heads,
              d / Math.max(heads, 1),
              intOr(j, "n_inner", 4 * d),
              intOr(j, "n_positions", 1024),
              dbl(j, "layer_norm_epsilon", 1e-5),
              str(j, "activation_function", "gelu_new"),
              10000,
              1.0,
              null,
              false,
              true,
              true,
              true,
              true,
              bool(j, "scale_attn_by_inverse_layer_idx", false),
              bos,
              eos,
              pad);
        }
      case "llama":
      case "mistral":
      case "qwen2":
        {
          int d = req(j, "hidden_size");
          int heads = req(j, "num_attention_heads");
          boolean attnBias = bool(j, "attention_bias", false);
          boolean qwen = type.equals("qwen2");
          return new ModelConfig(
              Family.LLAMA,
              type,
              req(j, "vocab_size"),
              d,
              req(j, "num_hidden_layers"),
              heads,
              intOr(j, "num_key_value_heads", heads),
              intOr(j, "head_dim", d / Math.max(heads, 1)),
              req(j, "intermediate_size"),
              intOr(j, "max_position_embeddings", 2048),
              dbl(j, "rms_norm_eps", 1e-6),
              str(j, "hidden_act", "silu"),
              ropeTheta(j, 10000),
              ropeDouble(j, "partial_rotary_factor", 1.0),
              ropeScaling(j),
              false,
              bool(j, "tie_word_embeddings", false),
              qwen || attnBias,
              !qwen && attnBias,
              bool(j, "mlp_bias", false),
              false,
              bos,
              eos,
              pad);
        }
      case "gpt_neox":
        {
          int d = req(j, "hidden_size");
          int heads = req(j, "num_attention_heads");
          double theta = ropeTheta(j, dbl(j, "rotary_emb_base", 10000));
          boolean bias = bool(j, "attention_bias", true);
          return new ModelConfig(
              Family.GPT_NEOX,
              type,
              req(j, "vocab_size"),
              d,
              req(j, "num_hidden_layers"),
              heads,
              heads,
              d / Math.max(heads, 1),
              req(j, "intermediate_size"),
              intOr(j, "max_position_embeddings", 2048),
              dbl(j, "layer_norm_eps", 1e-5),
              str(j, "hidden_act", "gelu"),
              theta,
              ropeDouble(j, "partial_rotary_factor", dbl(j, "rotary_pct", 0.25)),
              ropeScaling(j),
              bool(j, "use_parallel_residual", true),
              bool(j, "tie_word_embeddings", false),
              bias,
              bias,
              true,
              false,
              bos,
              eos,
              pad);
        }
      default:
        throw new IllegalArgumentException(
            "model_type '"
                + type
                + "' is not supported (supported: "
                + SUPPORTED_MODEL_TYPES
                + ")");
    }
  }

  /** transformers ≥ 5 nests rope settings in {@code rope_parameters}; older configs are flat. */
  private static JsonObject ropeParameters(JsonObject j) {
    JsonElement e = j.get("rope_parameters");
    return e != null && e.isJsonObject() ? e.getAsJsonObject() : null;
  }

  private static double ropeTheta(JsonObject j, double dflt) {
    JsonObject rp = ropeParameters(j);
    if (rp != null && rp.has("rope_theta")) {
      return rp.get("rope_theta").getAsDouble();
    }
    return dbl(j, "rope_theta", dflt);
  }

  private static double ropeDouble(JsonObject j, String field, double dflt) {
    JsonObject rp = ropeParameters(j);
    if (rp != null && rp.has(field) && !rp.get(field).isJsonNull()) {
      return rp.get(field).getAsDouble();
    }
    return dbl(j, field, dflt);
  }

  private static RopeScaling ropeScaling(JsonObject j) {
    JsonElement e = ropeParameters(j) != null ? j.get("rope_parameters") : j.get("rope_scaling");
    if (e == null || e.isJsonNull()) {
      return null;
    }
    JsonObject r = e.getAsJsonObject();
    String type = r.has("rope_type") ? r.get("rope_type").getAsString() : str(r, "type", "default");
    if (type.equals("default")) {
      return null;
    }
    return new RopeScaling(
        type,
        dbl(r, "factor", 1),
        dbl(r, "low_freq_factor", 1),
        dbl(r, "high_freq_factor", 4),
        intOr(r, "original_max_position_embeddings", 8192));
  }

  /** The config.json HF would write for {@code c}. */
  public static JsonObject toJson(ModelConfig c) {
    JsonObject j = new JsonObject();
    j.addProperty("model_type", c.modelType());
    j.addProperty("vocab_size", c.vocabSize());
    switch (c.family()) {
      case GPT2:
        arch(j, "GPT2LMHeadModel");
        j.addProperty("n_embd", c.hiddenSize());
        j.addProperty("n_layer", c.numLayers());
        j.addProperty("n_head", c.numHeads());
        j.addProperty("n_inner", c.intermediateSize());
        j.addProperty("n_positions", c.maxPositions());
        j.addProperty("layer_norm_epsilon", c.normEps());
        j.addProperty("activation_function", c.activation());
        j.addProperty("scale_attn_by_inverse_layer_idx", c.scaleAttnByInverseLayerIdx());
        j.addProperty("scale_attn_weights", true);
        j.addProperty("tie_word_embeddings", true);
        break;
      case LLAMA:
        arch(
            j,
            c.modelType().equals("qwen2")
                ? "Qwen2ForCausalLM"
                : c.modelType().equals("mistral") ? "MistralForCausalLM" : "LlamaForCausalLM");
        common(j, c);
        j.addProperty("num_key_value_heads", c.numKvHeads());
        j.addProperty("head_dim", c.headDim());
        j.addProperty("rms_norm_eps", c.normEps());
        j.addProperty("rope_theta", c.ropeTheta());
        if (!c.modelType().equals("qwen2")) {
          j.addProperty("attention_bias", c.qkvBias());
          j.addProperty("mlp_bias", c.mlpBias());
        }
        ropeScaling(j, c.ropeScaling());
        break;
      case GPT_NEOX:
        arch(j, "GPTNeoXForCausalLM");
        common(j, c);
        j.addProperty("layer_norm_eps", c.normEps());
        j.addProperty("rotary_pct", c.rotaryPct());
        j.addProperty("rotary_emb_base", c.ropeTheta());
        j.addProperty("rope_theta", c.ropeTheta());
        j.addProperty("use_parallel_residual", c.parallelResidual());
        j.addProperty("attention_bias", c.qkvBias());
        ropeScaling(j, c.ropeScaling());
        break;
      default:
        throw new IllegalStateException(c.family().name());
    }
    if (c.bosTokenId() >= 0) {
      j.addProperty("bos_token_id", c.bosTokenId());
    }
    if (c.eosTokenId() >= 0) {
      j.addProperty("eos_token_id", c.eosTokenId());
    }
    if (c.padTokenId() >= 0) {
      j.addProperty("pad_token_id", c.padTokenId());
    }
    j.addProperty("torch_dtype", "float32");
    return j;
  }

  private static void common(JsonObject j, ModelConfig c) {
    j.addProperty("hidden_size", c.hiddenSize());
    j.addProperty("num_hidden_layers", c.numLayers());
    j.addProperty("num_attention_heads", c.numHeads());
    j.addProperty("intermediate_size", c.intermediateSize());
    j.addProperty("max_position_embeddings", c.maxPositions());
    j.addProperty("hidden_act", c.activation());
    j.addProperty("tie_word_embeddings", c.tieWordEmbeddings());
  }

  private static void ropeScaling(JsonObject j, RopeScaling r) {
    if (r == null) {
      return;
    }
    JsonObject o = new JsonObject();
    o.addProperty("rope_type", r.type());
    o.addProperty("factor", r.factor());
    if (r.type().equals("llama3")) {
      o.addProperty("low_freq_factor", r.lowFreqFactor());
      o.addProperty("high_freq_factor", r.highFreqFactor());
      o.addProperty("original_max_position_embeddings", r.originalMaxPositions());
    }
    j.add("rope_scaling", o);
  }

  private static void arch(JsonObject j, String name) {
    JsonArray a = new JsonArray();
    a.add(name);
    j.add("architectures", a);
  }

  /** Writes {@code config.json} and {@code generation_config.json} into {@code dir}. */
  public static void write(ModelConfig c, Path dir) throws IOException {
    Files.createDirectories(dir);
    var gson = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
    AtomicFiles.writeString(dir.resolve("config.json"), gson.toJson(toJson(c)) + "\n");
    JsonObject gen = new JsonObject();
    if (c.bosTokenId() >= 0) {
      gen.addProperty("bos_token_id", c.bosTokenId());
    }
    if (c.eosTokenId() >= 0) {
      gen.addProperty("eos_token_id", c.eosTokenId());
    }
    if (c.padTokenId() >= 0) {
      gen.addProperty("pad_token_id", c.padTokenId());
    }
    AtomicFiles.writeString(dir.resolve("generation_config.json"), gson.toJson(gen) + "\n");
  }

  private static int req(JsonObject j, String field) {
    JsonElement e = j.get(field);
    if (e == null || e.isJsonNull()) {
      throw new IllegalArgumentException("required field " + field + " is missing");
    }
    try {
      return e.getAsInt();
    } catch (RuntimeException ex) {
      throw new IllegalArgumentException("field " + field + " must be an integer, got " + e);
    }
  }

  private static int intOr(JsonObject j, String field, int dflt) {
    JsonElement e = j.get(field);
    return e == null || e.isJsonNull() ? dflt : e.getAsInt();
  }

  private static double dbl(JsonObject j, String field, double dflt) {
    JsonElement e = j.get(field);
    return e == null || e.isJsonNull() ? dflt : e.getAsDouble();
  }

  private static boolean bool(JsonObject j, String field, boolean dflt) {
    JsonElement e = j.get(field);
    return e == null || e.isJsonNull() ? dflt : e.getAsBoolean();
  }

  private static String str(JsonObject j, String field, String dflt) {
    JsonElement e = j.get(field);
    return e == null || e.isJsonNull() ? dflt : e.getAsString();
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

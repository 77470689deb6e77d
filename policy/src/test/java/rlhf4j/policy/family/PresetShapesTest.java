package rlhf4j.policy.family;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import rlhf4j.policy.hf.HfConfig;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.model.ParamSpec;
import rlhf4j.policy.model.RopeScaling;

/** The presets with released checkpoints' shapes: their configs and parameter counts. */
class PresetShapesTest {
  @ParameterizedTest
  @ValueSource(strings = {"qwen3-0.6b", "llama-3.2-1b", "smollm2-135m", "tiny-qwen3"})
  void presetConfigsRoundTripThroughHfConfigJson(String name) {
    ModelConfig c = Presets.config(name);
    JsonObject json = HfConfig.toJson(c);
    assertEquals(c, HfConfig.fromJson(json, new JsonObject()), name);
    assertTrue(json.get("tie_word_embeddings").getAsBoolean(), name);
  }

  @Test
  void parameterCountsAreThoseOfTheReleasedModels() {
    // tied embeddings counted once, as the hub's model cards count them
    assertEquals(596_049_920L, count("qwen3-0.6b"));
    assertEquals(1_235_814_400L, count("llama-3.2-1b"));
    assertEquals(134_515_008L, count("smollm2-135m"));
  }

  @Test
  void releasedLlama32ConfigReadsAsThePreset() {
    // meta-llama/Llama-3.2-1B config.json (the fields rlhf4j reads)
    String cfg =
        "{\"architectures\":[\"LlamaForCausalLM\"],\"attention_bias\":false,"
            + "\"bos_token_id\":128000,\"eos_token_id\":128001,\"head_dim\":64,"
            + "\"hidden_act\":\"silu\",\"hidden_size\":2048,\"intermediate_size\":8192,"
            + "\"max_position_embeddings\":131072,\"mlp_bias\":false,\"model_type\":\"llama\","
            + "\"num_attention_heads\":32,\"num_hidden_layers\":16,\"num_key_value_heads\":8,"
            + "\"rms_norm_eps\":1e-05,\"rope_scaling\":{\"factor\":32.0,\"high_freq_factor\":4.0,"
            + "\"low_freq_factor\":1.0,\"original_max_position_embeddings\":8192,"
            + "\"rope_type\":\"llama3\"},\"rope_theta\":500000.0,\"tie_word_embeddings\":true,"
            + "\"torch_dtype\":\"bfloat16\",\"vocab_size\":128256}";
    ModelConfig c =
        HfConfig.fromJson(JsonParser.parseString(cfg).getAsJsonObject(), new JsonObject());
    assertEquals(Presets.config("llama-3.2-1b"), c);
    assertEquals(RopeScaling.Type.LLAMA3, c.ropeScaling().type());
  }

  @Test
  void releasedSmolLm2ConfigReadsAsThePreset() {
    // HuggingFaceTB/SmolLM2-135M config.json (the fields rlhf4j reads)
    String cfg =
        "{\"architectures\":[\"LlamaForCausalLM\"],\"attention_bias\":false,"
            + "\"bos_token_id\":0,\"eos_token_id\":0,\"hidden_act\":\"silu\","
            + "\"hidden_size\":576,\"intermediate_size\":1536,\"max_position_embeddings\":8192,"
            + "\"mlp_bias\":false,\"model_type\":\"llama\",\"num_attention_heads\":9,"
            + "\"num_hidden_layers\":30,\"num_key_value_heads\":3,\"rms_norm_eps\":1e-05,"
            + "\"rope_scaling\":null,\"rope_theta\":100000,\"tie_word_embeddings\":true,"
            + "\"torch_dtype\":\"bfloat16\",\"vocab_size\":49152}";
    ModelConfig c =
        HfConfig.fromJson(JsonParser.parseString(cfg).getAsJsonObject(), new JsonObject());
    assertEquals(Presets.config("smollm2-135m"), c);
    assertEquals(64, c.headDim());
  }

  private static long count(String preset) {
    long n = 0;
    for (ParamSpec s : CausalLM.parameterSpecs(Presets.config(preset))) {
      long k = 1;
      for (long d : s.shape()) {
        k *= d;
      }
      n += k;
    }
    return n;
  }
}

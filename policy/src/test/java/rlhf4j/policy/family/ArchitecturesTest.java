package rlhf4j.policy.family;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.hf.HfConfig;
import rlhf4j.policy.model.Activation;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.model.NormKind;
import rlhf4j.policy.model.ParamSpec;
import rlhf4j.policy.model.PositionKind;
import rlhf4j.policy.model.ResidualLayout;
import rlhf4j.policy.model.RopeScaling;

/** The family registry and what each descriptor owns. */
class ArchitecturesTest {
  @Test
  void everyModelTypeFindsItsFamily() {
    assertSame(Architectures.GPT2, Architectures.forModelType("gpt2"));
    assertSame(Architectures.LLAMA, Architectures.forModelType("llama"));
    assertSame(Architectures.LLAMA, Architectures.forModelType("mistral"));
    assertSame(Architectures.LLAMA, Architectures.forModelType("qwen2"));
    assertSame(Architectures.GPT_NEOX, Architectures.forModelType("gpt_neox"));
    assertSame(Architectures.QWEN3, Architectures.forModelType("qwen3"));
    assertSame(Architectures.OLMO2, Architectures.forModelType("olmo2"));
    assertSame(Architectures.GEMMA3, Architectures.forModelType("gemma3_text"));
    assertSame(Architectures.PHI3, Architectures.forModelType("phi3"));
    assertEquals(
        List.of(
            "gpt2",
            "llama",
            "mistral",
            "qwen2",
            "gpt_neox",
            "qwen3",
            "olmo2",
            "gemma3_text",
            "phi3"),
        Architectures.supportedModelTypes());
    assertEquals(Architectures.supportedModelTypes(), HfConfig.SUPPORTED_MODEL_TYPES);
  }

  @Test
  void unknownModelTypeNamesTheSupportedOnes() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Architectures.forModelType("t5"));
    assertTrue(e.getMessage().contains("model_type 't5' is not supported"), e.getMessage());
    assertTrue(e.getMessage().contains("gpt2, llama, mistral, qwen2, gpt_neox"), e.getMessage());
  }

  @Test
  void unknownModelTypeInConfigJsonNamesTheSupportedOnes() {
    JsonObject json = new JsonObject();
    json.addProperty("model_type", "t5");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> HfConfig.fromJson(json, new JsonObject()));
    assertTrue(e.getMessage().contains("(supported: [gpt2, llama"), e.getMessage());
  }

  @Test
  void gpt2ConfigsItsLayoutCannotHoldAreRejected() {
    ModelConfig.Builder gqa = tiny(Architectures.GPT2).numKvHeads(2);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, gqa::build);
    assertTrue(
        e.getMessage().contains("numKvHeads must equal numHeads, got 2 and 4"), e.getMessage());
    ModelConfig.Builder untied = tiny(Architectures.GPT2).tieWordEmbeddings(false);
    e = assertThrows(IllegalArgumentException.class, untied::build);
    assertTrue(e.getMessage().contains("tieWordEmbeddings must be true"), e.getMessage());
  }

  @Test
  void modelTypesBelongToOneFamilyOnly() {
    Set<String> seen = new HashSet<>();
    for (Architecture a : Architectures.all()) {
      for (String t : a.modelTypes()) {
        assertTrue(seen.add(t), t + " is claimed twice");
      }
    }
  }

  @Test
  void eachPresetFindsItsDescriptor() {
    for (String name : Presets.names()) {
      ModelConfig c = Presets.config(name);
      assertSame(c.family(), Architectures.of(c), name);
    }
  }

  @Test
  void everyFamilyRoundTripsItsHfConfig() {
    for (Architecture a : Architectures.all()) {
      for (String type : a.modelTypes()) {
        ModelConfig c =
            tiny(a)
                .modelType(type)
                .qkvBias(
                    a.equals(Architectures.GPT2)
                        || a.equals(Architectures.GPT_NEOX)
                        || type.equals("qwen2"))
                .bosTokenId(1)
                .eosTokenId(2)
                .build();
        JsonObject json = HfConfig.toJson(c);
        assertEquals(type, json.get("model_type").getAsString());
        assertEquals(
            a.causalLmClass(type), json.getAsJsonArray("architectures").get(0).getAsString());
        assertEquals(c, HfConfig.fromJson(json, new JsonObject()), type);
      }
    }
  }

  @Test
  void llamaConfigsHfCannotExpressAreRejected() {
    ModelConfig.Builder qwen = tiny(Architectures.LLAMA).modelType("qwen2");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, qwen::build);
    assertTrue(e.getMessage().contains("qkvBias must be true"), e.getMessage());
    ModelConfig.Builder llama = tiny(Architectures.LLAMA).qkvBias(true);
    e = assertThrows(IllegalArgumentException.class, llama::build);
    assertTrue(e.getMessage().contains("qkvBias and attnOutBias must be equal"), e.getMessage());
  }

  @Test
  void ropeScalingRoundTripsAndUnknownTypesAreNamed() {
    RopeScaling llama3 = new RopeScaling(RopeScaling.Type.LLAMA3, 8, 1, 4, 8192);
    ModelConfig c = tiny(Architectures.LLAMA).ropeScaling(llama3).build();
    assertEquals(c, HfConfig.fromJson(HfConfig.toJson(c), new JsonObject()));
    RopeScaling linear = new RopeScaling(RopeScaling.Type.LINEAR, 2, 1, 4, 8192);
    ModelConfig n = tiny(Architectures.GPT_NEOX).ropeScaling(linear).build();
    assertEquals(n, HfConfig.fromJson(HfConfig.toJson(n), new JsonObject()));
    JsonObject json = HfConfig.toJson(c);
    json.getAsJsonObject("rope_scaling").addProperty("rope_type", "yarn");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> HfConfig.fromJson(json, new JsonObject()));
    assertTrue(
        e.getMessage().contains("rope_scaling type 'yarn' is not supported"), e.getMessage());
  }

  @Test
  void hfClassNamesFollowTheModelType() {
    assertEquals("GPT2LMHeadModel", Architectures.GPT2.causalLmClass("gpt2"));
    assertEquals(
        "GPT2ForSequenceClassification", Architectures.GPT2.sequenceClassificationClass("gpt2"));
    assertEquals("LlamaForCausalLM", Architectures.LLAMA.causalLmClass("llama"));
    assertEquals("MistralForCausalLM", Architectures.LLAMA.causalLmClass("mistral"));
    assertEquals(
        "Qwen2ForSequenceClassification", Architectures.LLAMA.sequenceClassificationClass("qwen2"));
    assertEquals("GPTNeoXForCausalLM", Architectures.GPT_NEOX.causalLmClass("gpt_neox"));
    assertEquals(
        "GPTNeoXForSequenceClassification",
        Architectures.GPT_NEOX.sequenceClassificationClass("gpt_neox"));
  }

  @Test
  void defaultLoraTargetsArePefts() {
    assertEquals(List.of("c_attn"), Architectures.GPT2.defaultLoraTargets());
    assertEquals(List.of("q_proj", "v_proj"), Architectures.LLAMA.defaultLoraTargets());
    assertEquals(List.of("query_key_value"), Architectures.GPT_NEOX.defaultLoraTargets());
  }

  @Test
  void normAndPositionKindsMatchTheParameters() {
    for (Architecture a : Architectures.all()) {
      ModelConfig c = tiny(a).build();
      List<ParamSpec> specs = a.parameters(c);
      Set<String> names = new HashSet<>();
      for (ParamSpec s : specs) {
        assertTrue(names.add(s.name()), "duplicate " + s.name());
      }
      assertTrue(names.contains(a.tokenEmbedding()), a.name());
      assertTrue(names.containsAll(a.finalNorm()), a.name());
      boolean layerNorm = a.normKind() == NormKind.LAYER_NORM; // RMS norms have no bias
      assertEquals(layerNorm ? 2 : 1, a.finalNorm().size(), a.name());
      if (a.positionKind() == PositionKind.LEARNED) {
        assertTrue(names.contains(a.positionEmbedding()), a.name());
      } else {
        assertNull(a.positionEmbedding(), a.name());
      }
      assertEquals(
          a.equals(Architectures.GEMMA3) ? (float) Math.sqrt(c.hiddenSize()) : 1.0,
          a.embeddingScale(c),
          a.name());
    }
  }

  @Test
  void defaultsAreTheHfConfigClassDefaults() {
    ModelConfig gpt2 = ModelConfig.builder(Architectures.GPT2).build(); // GPT2Config()
    assertEquals(50257, gpt2.vocabSize());
    assertEquals(768, gpt2.hiddenSize());
    assertEquals(3072, gpt2.intermediateSize()); // n_inner None: 4 · n_embd
    assertEquals(64, gpt2.headDim());
    assertEquals(Activation.GELU_NEW, gpt2.activation());
    assertEquals(50256, gpt2.eosTokenId());
    ModelConfig llama = ModelConfig.builder(Architectures.LLAMA).build(); // LlamaConfig()
    assertEquals(32000, llama.vocabSize());
    assertEquals(11008, llama.intermediateSize());
    assertEquals(32, llama.numKvHeads()); // num_key_value_heads None: num_attention_heads
    assertEquals(1e-6, llama.normEps());
    assertEquals("llama", llama.modelType());
    ModelConfig neox = ModelConfig.builder(Architectures.GPT_NEOX).build(); // GPTNeoXConfig()
    assertEquals(0.25, neox.rotaryPct());
    assertEquals(ResidualLayout.PARALLEL, neox.residual());
    assertTrue(neox.qkvBias());
  }

  private static ModelConfig.Builder tiny(Architecture a) {
    return ModelConfig.builder(a)
        .vocabSize(64)
        .hiddenSize(32)
        .numLayers(2)
        .numHeads(4)
        .intermediateSize(48)
        .maxPositions(32);
  }
}

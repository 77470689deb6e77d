package rlhf4j.policy.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.io.CheckpointException;
import rlhf4j.policy.io.SafeTensors;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.testing.Fixtures;

class HfCheckpointTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"nano", "tiny-llama", "tiny-neox"})
  void saveThenLoadIsBitwise(String preset) throws IOException {
    try (CausalLM a = Presets.create(preset, 7)) {
      HfCheckpoint.save(a, tmp);
      try (CausalLM b = HfCheckpoint.load(tmp)) {
        assertEquals(a.config(), b.config());
        for (Map.Entry<String, NDArray> e : a.parameters().entrySet()) {
          assertArrayEquals(
              e.getValue().toFloatArray(),
              b.parameters().get(e.getKey()).toFloatArray(),
              e.getKey());
        }
      }
    }
  }

  @Test
  void savedGpt2UsesConv1dLayoutAndAlignedHeader() throws IOException {
    try (CausalLM a = Presets.create("nano", 1)) {
      HfCheckpoint.save(a, tmp);
      SafeTensors.Contents c = SafeTensors.read(tmp.resolve("model.safetensors"));
      // Conv1D (in, out): c_attn of width 32 is (32, 96)
      assertArrayEquals(new long[] {32, 96}, c.get("transformer.h.0.attn.c_attn.weight").shape());
      byte[] head = Files.readAllBytes(tmp.resolve("model.safetensors"));
      long headerLen =
          java.nio.ByteBuffer.wrap(head, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
      assertEquals(0, headerLen % 8);
      assertEquals("pt", c.metadata().get("format"));
    }
  }

  @Test
  void loadsShardedCheckpointThroughIndex() throws IOException {
    Path src = Fixtures.path("hf/llama-tiny");
    Files.copy(src.resolve("config.json"), tmp.resolve("config.json"));
    SafeTensors.Contents all = SafeTensors.read(src.resolve("model.safetensors"));
    Map<String, NDArray> shard1 = new LinkedHashMap<>();
    Map<String, NDArray> shard2 = new LinkedHashMap<>();
    JsonObject weightMap = new JsonObject();
    try (NDManager m = NDManager.newBaseManager()) {
      int i = 0;
      for (String name : all.tensors().keySet()) {
        boolean first = i++ % 2 == 0;
        (first ? shard1 : shard2).put(name, all.get(name).toNDArray(m));
        weightMap.addProperty(
            name, first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
      }
      SafeTensors.write(
          tmp.resolve("model-00001-of-00002.safetensors"), shard1, Map.of("format", "pt"));
      SafeTensors.write(
          tmp.resolve("model-00002-of-00002.safetensors"), shard2, Map.of("format", "pt"));
    }
    JsonObject index = new JsonObject();
    index.add("weight_map", weightMap);
    Files.writeString(tmp.resolve("model.safetensors.index.json"), index.toString());
    try (CausalLM sharded = HfCheckpoint.load(tmp);
        CausalLM single = HfCheckpoint.load(src)) {
      for (String name : single.parameters().keySet()) {
        assertArrayEquals(
            single.parameters().get(name).toFloatArray(),
            sharded.parameters().get(name).toFloatArray(),
            name);
      }
    }
  }

  @Test
  void unknownModelTypeListsTheSupportedOnes() throws IOException {
    Files.writeString(tmp.resolve("config.json"), "{\"model_type\": \"bert\", \"vocab_size\": 10}");
    CheckpointException e = assertThrows(CheckpointException.class, () -> HfCheckpoint.load(tmp));
    assertTrue(e.getMessage().contains("config.json"), e.getMessage());
    assertTrue(
        e.getMessage().contains("'bert'") && e.getMessage().contains("gpt_neox"), e.getMessage());
  }

  @Test
  void missingTensorIsNamed() throws IOException {
    copyWithout(Fixtures.path("hf/gpt2-tiny"), "transformer.h.1.mlp.c_fc.bias", null);
    CheckpointException e = assertThrows(CheckpointException.class, () -> HfCheckpoint.load(tmp));
    assertTrue(e.getMessage().contains("transformer.h.1.mlp.c_fc.bias"), e.getMessage());
    assertTrue(e.getMessage().contains("missing"), e.getMessage());
  }

  @Test
  void unexpectedTensorIsNamed() throws IOException {
    copyWithout(Fixtures.path("hf/gpt2-tiny"), null, "transformer.h.2.ln_1.weight");
    CheckpointException e = assertThrows(CheckpointException.class, () -> HfCheckpoint.load(tmp));
    assertTrue(e.getMessage().contains("transformer.h.2.ln_1.weight"), e.getMessage());
    assertTrue(e.getMessage().contains("unexpected"), e.getMessage());
  }

  @Test
  void wrongShapeForConfigNamesTensorFileAndShapes() throws IOException {
    Path src = Fixtures.path("hf/llama-tiny");
    JsonObject cfg =
        JsonParser.parseString(Files.readString(src.resolve("config.json"))).getAsJsonObject();
    cfg.addProperty("intermediate_size", 96);
    Files.writeString(tmp.resolve("config.json"), cfg.toString());
    Files.copy(src.resolve("model.safetensors"), tmp.resolve("model.safetensors"));
    CheckpointException e = assertThrows(CheckpointException.class, () -> HfCheckpoint.load(tmp));
    String msg = e.getMessage();
    assertTrue(msg.contains("model.safetensors") && msg.contains("mlp."), msg);
    assertTrue(msg.contains("[128, 64]") && msg.contains("[96, 64]"), msg);
  }

  @Test
  void missingWeightsFileSaysWhatIsNeeded() throws IOException {
    Files.copy(Fixtures.path("hf/gpt2-tiny/config.json"), tmp.resolve("config.json"));
    CheckpointException e = assertThrows(CheckpointException.class, () -> HfCheckpoint.load(tmp));
    assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
  }

  /**
   * Copies gpt2-tiny into tmp, dropping tensor {@code drop} and/or adding a copy named {@code
   * extra}.
   */
  private void copyWithout(Path src, String drop, String extra) throws IOException {
    Files.copy(src.resolve("config.json"), tmp.resolve("config.json"));
    SafeTensors.Contents all = SafeTensors.read(src.resolve("model.safetensors"));
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> out = new LinkedHashMap<>();
      for (String name : all.tensors().keySet()) {
        if (!name.equals(drop)) {
          out.put(name, all.get(name).toNDArray(m));
        }
      }
      if (extra != null) {
        out.put(extra, m.ones(new ai.djl.ndarray.types.Shape(64)));
      }
      SafeTensors.write(tmp.resolve("model.safetensors"), out, Map.of("format", "pt"));
    }
  }
}

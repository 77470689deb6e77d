package rlhf4j.policy.hf;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.io.CheckpointException;
import rlhf4j.policy.io.SafeTensors;
import rlhf4j.policy.lora.AdapterConfigFile;
import rlhf4j.testing.Fixtures;

/** Hostile checkpoints: numbers that would wrap, impossible sizes, NaN weights. */
class UntrustedCheckpointTest {
  @TempDir Path tmp;

  private Path copy(String fixture) throws IOException {
    Path from = Fixtures.path("hf/" + fixture);
    Path to = tmp.resolve(fixture);
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
    return to;
  }

  private static void edit(Path json, Consumer<JsonObject> change) throws IOException {
    JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
    change.accept(o);
    Files.writeString(json, o.toString());
  }

  private String configError(Consumer<JsonObject> change) throws IOException {
    Path dir = copy("gpt2-tiny");
    edit(dir.resolve("config.json"), change);
    return assertThrows(CheckpointException.class, () -> HfConfig.read(dir)).getMessage();
  }

  @Test
  void vocabSizeOver2To32IsRefusedNotWrapped() throws IOException {
    String m = configError(o -> o.addProperty("vocab_size", 4294968027L)); // 2^32 + 731
    assertTrue(m.contains("vocab_size") && m.contains("whole number"), m);
    assertTrue(m.contains("config.json"), m);
  }

  @Test
  void nonIntegerSizeIsRefusedNotTruncated() throws IOException {
    String m = configError(o -> o.addProperty("n_embd", 64.5));
    assertTrue(m.contains("n_embd") && m.contains("whole number"), m);
  }

  @Test
  void aModelTooLargeForTheMachineIsRefusedBeforeAllocating() throws IOException {
    Path dir = copy("gpt2-tiny");
    edit(dir.resolve("config.json"), o -> o.addProperty("n_layer", 1_000_000_000));
    long t0 = System.nanoTime();
    String m = assertThrows(RuntimeException.class, () -> HfCheckpoint.load(dir)).getMessage();
    assertTrue(m.contains("more than this machine's"), m);
    assertTrue(m.contains("num_hidden_layers"), m);
    assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "refusal took too long");
  }

  @Test
  void negativeRopeThetaIsRefused() throws IOException {
    Path dir = copy("llama-tiny");
    edit(dir.resolve("config.json"), o -> o.addProperty("rope_theta", -10000.0));
    String m = assertThrows(CheckpointException.class, () -> HfConfig.read(dir)).getMessage();
    assertTrue(m.contains("rope_theta") && m.contains("> 0"), m);
  }

  @Test
  void aNanWeightIsRefusedNamingTheTensor() throws IOException {
    Path dir = copy("gpt2-tiny");
    Path weights = dir.resolve("model.safetensors");
    try (NDManager m = NDManager.newBaseManager()) {
      SafeTensors.Contents c = SafeTensors.read(weights);
      Map<String, NDArray> arrays = new LinkedHashMap<>();
      c.tensors().forEach((name, t) -> arrays.put(name, t.toNDArray(m)));
      String victim = "transformer.h.0.mlp.c_fc.weight";
      arrays.get(victim).set(new NDIndex(0, 1), Float.NaN);
      Path rewritten = tmp.resolve("nan.safetensors");
      SafeTensors.write(rewritten, arrays, c.metadata());
      Files.move(rewritten, weights, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    String m = assertThrows(CheckpointException.class, () -> HfCheckpoint.load(dir)).getMessage();
    assertTrue(m.contains("transformer.h.0.mlp.c_fc.weight"), m);
    assertTrue(m.contains("1 NaN or infinite"), m);
  }

  @Test
  void aNanLoraWeightIsRefusedNamingTheTensor() throws IOException {
    Path dir = copy("gpt2-tiny-lora");
    Path weights = dir.resolve(AdapterConfigFile.WEIGHTS);
    String victim;
    try (NDManager m = NDManager.newBaseManager()) {
      SafeTensors.Contents c = SafeTensors.read(weights);
      Map<String, NDArray> arrays = new LinkedHashMap<>();
      c.tensors().forEach((name, t) -> arrays.put(name, t.toNDArray(m)));
      victim = arrays.keySet().stream().filter(k -> k.contains("lora_B")).findFirst().orElseThrow();
      arrays.get(victim).set(new NDIndex(0, 0), Float.POSITIVE_INFINITY);
      Path rewritten = tmp.resolve("inf.safetensors");
      SafeTensors.write(rewritten, arrays, c.metadata());
      Files.move(rewritten, weights, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    try (var model = HfCheckpoint.load(Fixtures.path("hf/gpt2-tiny"))) {
      String m =
          assertThrows(
                  CheckpointException.class, () -> rlhf4j.policy.lora.LoraModel.load(model, dir))
              .getMessage();
      assertTrue(m.contains(victim), m);
    }
  }

  @Test
  void adapterRankThatWouldWrapOrTruncateIsRefused() throws IOException {
    for (Number r : new Number[] {4294967304L, 8.7}) {
      Path dir = copy("gpt2-tiny-lora");
      edit(dir.resolve(AdapterConfigFile.CONFIG), o -> o.addProperty("r", r));
      String m =
          assertThrows(CheckpointException.class, () -> AdapterConfigFile.read(dir)).getMessage();
      assertTrue(m.contains("r must be a whole number"), m);
      deleteTree(dir);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }
}

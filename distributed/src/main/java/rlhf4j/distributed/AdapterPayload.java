package rlhf4j.distributed;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import rlhf4j.policy.io.SafeTensors;
import rlhf4j.policy.lora.AdapterConfigFile;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.ValueHead;

/**
 * What the driver broadcasts each step: the policy's active adapter in PEFT's file form ({@code
 * adapter_config.json} and {@code adapter_model.safetensors}, as {@link LoraModel#saveAdapter}
 * writes them) and, when PPO needs values, the value head as safetensors ({@code
 * v_head.summary.weight}, {@code v_head.summary.bias}). Never the base weights.
 *
 * @param version a fresh id per payload: an executor reloads when it differs from what it holds
 * @param adapterConfig the bytes of {@code adapter_config.json}
 * @param adapterWeights the bytes of {@code adapter_model.safetensors}
 * @param valueHead the value head's safetensors bytes, or null (no values)
 */
public record AdapterPayload(
    String version, byte[] adapterConfig, byte[] adapterWeights, byte[] valueHead)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** File name of the value head inside a materialised payload folder. */
  public static final String VALUE_HEAD_FILE = "value_head.safetensors";

  /** Checks that the adapter's two files are there. */
  public AdapterPayload {
    if (version == null || adapterConfig == null || adapterWeights == null) {
      throw new IllegalArgumentException(
          "an adapter payload needs a version, adapter_config.json and adapter_model.safetensors");
    }
  }

  /**
   * The active adapter of {@code policy} (and {@code valueHead}'s weights when non-null),
   * serialized in a temporary folder and read back as bytes.
   */
  public static AdapterPayload of(LoraModel policy, ValueHead valueHead) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("rlhf4j-adapter-");
      policy.saveAdapter(policy.activeAdapter(), dir);
      byte[] head = null;
      if (valueHead != null) {
        Map<String, NDArray> tensors = new LinkedHashMap<>(valueHead.parameters());
        Path file = dir.resolve(VALUE_HEAD_FILE);
        SafeTensors.write(file, tensors, Map.of());
        head = Files.readAllBytes(file);
      }
      return new AdapterPayload(
          UUID.randomUUID().toString(),
          Files.readAllBytes(dir.resolve(AdapterConfigFile.CONFIG)),
          Files.readAllBytes(dir.resolve(AdapterConfigFile.WEIGHTS)),
          head);
    } catch (IOException e) {
      throw new UncheckedIOException("could not serialize the adapter for broadcast", e);
    } finally {
      deleteQuietly(dir);
    }
  }

  /** Bytes on the wire: the adapter's two files plus the value head's. */
  public long bytes() {
    return adapterConfig.length
        + adapterWeights.length
        + (valueHead == null ? 0 : valueHead.length);
  }

  /** Writes the adapter's files into {@code dir} (for {@link LoraModel#loadAdapter}). */
  public void writeAdapter(Path dir) throws IOException {
    Files.write(dir.resolve(AdapterConfigFile.CONFIG), adapterConfig);
    Files.write(dir.resolve(AdapterConfigFile.WEIGHTS), adapterWeights);
  }

  /** The value head in {@code manager}'s sub-manager, or null without one. */
  public ValueHead readValueHead(NDManager manager, Path dir) throws IOException {
    if (valueHead == null) {
      return null;
    }
    Path file = dir.resolve(VALUE_HEAD_FILE);
    Files.write(file, valueHead);
    SafeTensors.Contents c = SafeTensors.read(file);
    try (NDManager tmp = manager.newSubManager()) {
      return ValueHead.of(
          manager, c.get(ValueHead.WEIGHT).toNDArray(tmp), c.get(ValueHead.BIAS).toNDArray(tmp));
    }
  }

  static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temporary folder left behind is harmless
    }
  }
}

package rlhf4j.policy.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import rlhf4j.policy.io.CheckpointException;
import rlhf4j.policy.io.FiniteCheck;
import rlhf4j.policy.io.SafeTensors;
import rlhf4j.policy.io.TensorData;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.Linear;

/**
 * One adapter's PEFT folder (PEFT's {@code save_pretrained} / {@code load_adapter} with {@code
 * get_peft_model_state_dict} / {@code set_peft_model_state_dict}): {@link AdapterConfigFile#CONFIG}
 * plus {@link AdapterConfigFile#WEIGHTS} with keys like {@code
 * base_model.model.<path>.lora_A.weight} (r, in), {@code ...lora_B.weight} (out, r), {@code
 * <path>.weight|bias} for modules_to_save copies (GPT-2 Conv1D weights transposed to (in, out) at
 * this edge) and the trained base biases. On load every tensor must be one this config produces for
 * this model: the others are reported as an error naming the file, not ignored.
 */
final class PeftAdapterFiles {
  /** Prefix of PEFT's state-dict keys for a PeftModelForCausalLM. */
  static final String KEY_PREFIX = "base_model.model.";

  private PeftAdapterFiles() {}

  /**
   * Where PEFT's {@code save_pretrained} puts adapter {@code name} of a model saved into {@code
   * dir}: {@value LoraModel#DEFAULT_ADAPTER} in {@code dir} itself, the others in {@code
   * dir/<name>/}.
   */
  static Path folder(Path dir, String name) {
    return name.equals(LoraModel.DEFAULT_ADAPTER) ? dir : dir.resolve(name);
  }

  /**
   * Writes adapter {@code a} into {@code dir} (created if needed).
   *
   * @param biases the base biases {@code a} trains, parameter name → key without the prefix
   */
  static void write(
      CausalLM model, LoraAdapter a, Map<String, String> biases, LoraTargets targets, Path dir)
      throws IOException {
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    try (NDScope scope = new NDScope()) {
      for (Map.Entry<String, LoraLayer> e : a.layers.entrySet()) {
        tensors.put(KEY_PREFIX + e.getKey() + ".lora_A.weight", e.getValue().a());
        tensors.put(KEY_PREFIX + e.getKey() + ".lora_B.weight", e.getValue().b());
      }
      for (Map.Entry<String, SavedModule> e : a.copies.entrySet()) {
        Linear l = targets.module(e.getKey());
        NDArray w = e.getValue().weight();
        if (l.hfTransposed()) {
          w = w.transpose().flatten().reshape(l.inFeatures(), l.outFeatures());
        }
        tensors.put(KEY_PREFIX + e.getKey() + ".weight", w);
        if (e.getValue().bias() != null) {
          tensors.put(KEY_PREFIX + e.getKey() + ".bias", e.getValue().bias());
        }
      }
      for (Map.Entry<String, String> e : biases.entrySet()) {
        tensors.put(KEY_PREFIX + e.getValue(), model.parameters().get(e.getKey()));
      }
      Files.createDirectories(dir);
      SafeTensors.write(dir.resolve(AdapterConfigFile.WEIGHTS), tensors, Map.of("format", "pt"));
    }
    AdapterConfigFile.write(a.config, dir);
  }

  /**
   * Reads the adapter saved in {@code dir} as {@code name}, its arrays held by {@code manager}.
   * With {@code bias = all | lora_only} the saved biases overwrite the base biases, as in PEFT.
   *
   * @throws CheckpointException if a file is missing or does not fit this model
   */
  static LoraAdapter read(
      CausalLM model, LoraTargets targets, Path dir, String name, NDManager manager) {
    AdapterConfigFile.Read read = AdapterConfigFile.read(dir);
    Path file = dir.resolve(AdapterConfigFile.WEIGHTS);
    if (!Files.isRegularFile(file)) {
      String bin =
          Files.isRegularFile(dir.resolve("adapter_model.bin"))
              ? " (it has adapter_model.bin, which rlhf4j does not read: re-save with PEFT's"
                  + " save_pretrained(safe_serialization=True))"
              : "";
      throw CheckpointException.of(
          dir, "has " + AdapterConfigFile.CONFIG + " but no " + AdapterConfigFile.WEIGHTS + bin);
    }
    SafeTensors.Contents contents = SafeTensors.read(file);
    LoraConfig resolved;
    List<Linear> lora;
    List<Linear> copies;
    try {
      resolved = targets.resolve(read.config());
      lora = targets.targets(resolved);
      copies = targets.modulesToSave(resolved);
    } catch (IllegalArgumentException e) {
      throw new CheckpointException(
          dir.resolve(AdapterConfigFile.CONFIG)
              + ": "
              + e.getMessage()
              + architectureHint(contents, read.config(), targets),
          e);
    }
    FiniteCheck.require(contents); // a NaN lora_B would give NaN logits and merge a NaN model
    contents = headKeysAsLmHead(contents, model);
    Set<String> unused = new LinkedHashSet<>(contents.tensors().keySet());
    LoraAdapter a = new LoraAdapter(name, resolved);
    Map<NDArray, NDArray> biasUpdates = new LinkedHashMap<>();
    try {
      for (Linear l : lora) {
        int rank = resolved.rankFor(l.path());
        String keyA = KEY_PREFIX + l.path() + ".lora_A.weight";
        String keyB = KEY_PREFIX + l.path() + ".lora_B.weight";
        TensorData ta = tensor(contents, keyA, l, resolved);
        TensorData tb = tensor(contents, keyB, l, resolved);
        checkShape(file, ta, new long[] {rank, l.inFeatures()}, l, "r", rank);
        checkShape(file, tb, new long[] {l.outFeatures(), rank}, l, "r", rank);
        unused.remove(keyA);
        unused.remove(keyB);
        a.layers.put(
            l.path(),
            LoraLayer.of(ta.toNDArray(manager), tb.toNDArray(manager), resolved, l.path()));
      }
      for (Linear l : copies) {
        a.copies.put(l.path(), readCopy(contents, l, unused, manager));
      }
      for (Linear l : lora) {
        String key = KEY_PREFIX + l.path() + ".base_layer.weight";
        if (contents.tensors().containsKey(key)) {
          checkSavedBaseWeight(file, contents.get(key), l, manager);
          unused.remove(key);
        }
      }
      if (resolved.bias() != LoraConfig.Bias.NONE) {
        for (String key : new ArrayList<>(unused)) {
          if (!key.startsWith(KEY_PREFIX) || !key.endsWith(".bias")) {
            continue;
          }
          String param = key.substring(KEY_PREFIX.length()).replace(".base_layer.bias", ".bias");
          NDArray base = model.parameters().get(param);
          if (base == null) {
            continue; // reported as unexpected below
          }
          TensorData t = contents.get(key);
          checkShape(file, t, base.getShape().getShape(), null, null, 0);
          biasUpdates.put(base, t.toNDArray(manager));
          unused.remove(key);
        }
      }
      if (!unused.isEmpty()) {
        throw CheckpointException.of(
            file,
            "has "
                + unused.size()
                + " tensor(s) this config does not produce for this model: "
                + abbreviate(new ArrayList<>(new TreeSet<>(unused)))
                + " (an adapter for another architecture, or target_modules / layers_to_transform"
                + " in adapter_config.json do not match the weights)");
      }
      for (Map.Entry<NDArray, NDArray> e : biasUpdates.entrySet()) {
        e.getKey().set(e.getValue().toByteBuffer());
      }
    } catch (RuntimeException e) {
      a.close();
      throw e;
    } finally {
      biasUpdates.values().forEach(NDArray::close);
    }
    return a;
  }

  /**
   * PEFT saves the base weight of an embedding layer or LM head it adapts ({@code
   * save_embedding_layers="auto"}: {@code <path>.base_layer.weight}) and loads it over the base.
   * rlhf4j keeps its own base, so the saved one must be that base, up to the rounding of the saved
   * dtype (and of the layer's int8/fp16 storage); a changed or resized head is refused.
   */
  private static void checkSavedBaseWeight(Path file, TensorData t, Linear l, NDManager manager) {
    checkShape(file, t, hfShape(l), l, null, 0);
    try (NDManager m = manager.newSubManager()) {
      NDArray saved = t.toNDArray(m);
      if (l.hfTransposed()) {
        saved = saved.transpose();
      }
      NDArray base = l.dequantizedWeight();
      base.attach(m);
      double scale = saved.abs().max().getFloat();
      double storage =
          switch (t.dtype()) {
            case "F32" -> 0;
            case "F16" -> Math.scalb(1.0, -10);
            default -> Math.scalb(1.0, -7); // BF16
          };
      double tolerance = scale * (storage + (l.isQuantized() ? 1.0 / 127 : 0));
      double diff = saved.sub(base).abs().max().getFloat();
      if (diff > tolerance) {
        throw CheckpointException.of(
            file,
            "holds a base weight '"
                + t.name()
                + "' (PEFT saves the embedding layers and LM heads it adapts) that differs from"
                + " this model's "
                + l.path()
                + " by up to "
                + diff
                + ": the adapter was trained on a changed or resized head; rlhf4j loads adapters"
                + " onto the base they were made for only (load that base, or merge the adapter"
                + " with PEFT and load the merged model)");
      }
    }
  }

  /**
   * The file's tensors by key, with keys under the LM head's checkpoint module name ({@code
   * base_model.model.embed_out.*}, GPT-NeoX adapters made with transformers 4) read as {@link
   * CausalLM#LM_HEAD}'s.
   */
  private static SafeTensors.Contents headKeysAsLmHead(
      SafeTensors.Contents contents, CausalLM model) {
    if (model.lmHeadCheckpointModule().equals(CausalLM.LM_HEAD)) {
      return contents;
    }
    String legacy = KEY_PREFIX + model.lmHeadCheckpointModule() + ".";
    Map<String, TensorData> out = new LinkedHashMap<>();
    contents
        .tensors()
        .forEach(
            (k, t) ->
                out.put(
                    k.startsWith(legacy)
                        ? KEY_PREFIX + CausalLM.LM_HEAD + "." + k.substring(legacy.length())
                        : k,
                    t));
    return new SafeTensors.Contents(contents.file(), out, contents.metadata());
  }

  /** The saved copy of module {@code l} (modules_to_save), back in (out, in) layout. */
  private static SavedModule readCopy(
      SafeTensors.Contents contents, Linear l, Set<String> unused, NDManager manager) {
    Path file = contents.file();
    String keyW = KEY_PREFIX + l.path() + ".weight";
    TensorData tw = contents.get(keyW);
    checkShape(file, tw, hfShape(l), l, null, 0);
    NDArray w = tw.toNDArray(manager);
    if (l.hfTransposed()) {
      NDArray t = w.transpose().flatten().reshape(l.weight().getShape());
      w.close();
      w = t;
    }
    unused.remove(keyW);
    NDArray b = null;
    if (l.bias() != null) {
      String keyB = KEY_PREFIX + l.path() + ".bias";
      TensorData tb = contents.get(keyB);
      checkShape(file, tb, l.bias().getShape().getShape(), l, null, 0);
      b = tb.toNDArray(manager);
      unused.remove(keyB);
    }
    return new SavedModule(w, b);
  }

  private static String architectureHint(
      SafeTensors.Contents contents, LoraConfig c, LoraTargets targets) {
    String example = contents.tensors().keySet().stream().findFirst().orElse("(no tensors)");
    return " (the adapter's tensors are named like \""
        + example
        + "\""
        + (c.baseModelNameOrPath() == null
            ? ""
            : ", base_model_name_or_path \"" + c.baseModelNameOrPath() + "\"")
        + "; this model's modules are named like \""
        + targets.examplePath()
        + "\": an adapter made for another architecture?)";
  }

  /** The shape of {@code l}'s weight in HF files: (in, out) for GPT-2 Conv1D, else (out, in). */
  private static long[] hfShape(Linear l) {
    return l.hfTransposed()
        ? new long[] {l.inFeatures(), l.outFeatures()}
        : new long[] {l.outFeatures(), l.inFeatures()};
  }

  private static TensorData tensor(
      SafeTensors.Contents contents, String key, Linear l, LoraConfig c) {
    TensorData t = contents.tensors().get(key);
    if (t == null) {
      String example =
          contents.tensors().keySet().stream().findFirst().orElse("(the file has no tensors)");
      throw CheckpointException.of(
          contents.file(),
          "has no tensor '"
              + key
              + "' for target module "
              + l.path()
              + " (target_modules "
              + (c.targetRegex() != null ? c.targetRegex() : c.targetModules())
              + "); its tensors are named like '"
              + example
              + "': made for another architecture, or the config does not belong to the weights");
    }
    return t;
  }

  private static void checkShape(
      Path file, TensorData t, long[] expected, Linear l, String field, int value) {
    if (Arrays.equals(t.shape(), expected)) {
      return;
    }
    String why;
    if (field != null && t.shape().length == 2) {
      boolean rankSide =
          t.name().contains("lora_A") ? t.shape()[0] != value : t.shape()[1] != value;
      why =
          rankSide
              ? ": its rank does not match "
                  + field
                  + " = "
                  + value
                  + " in "
                  + AdapterConfigFile.CONFIG
                  + " (fix r / rank_pattern there, or use the matching weights)"
              : ": module "
                  + l.path()
                  + " of this model is (out "
                  + l.outFeatures()
                  + ", in "
                  + l.inFeatures()
                  + "): the adapter was made for a model of another size";
    } else {
      why = ": the adapter was made for a model of another size";
    }
    throw CheckpointException.of(
        file,
        "tensor '"
            + t.name()
            + "' has shape "
            + Arrays.toString(t.shape())
            + ", expected "
            + Arrays.toString(expected)
            + why);
  }

  private static String abbreviate(List<String> names) {
    return names.size() <= 6
        ? names.toString()
        : names.subList(0, 6) + " and " + (names.size() - 6) + " more";
  }
}

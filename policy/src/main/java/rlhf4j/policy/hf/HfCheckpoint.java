package rlhf4j.policy.hf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
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
import java.util.function.Predicate;
import rlhf4j.policy.io.CheckpointException;
import rlhf4j.policy.io.FiniteCheck;
import rlhf4j.policy.io.SafeTensors;
import rlhf4j.policy.io.TensorData;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.model.ParamSpec;
import rlhf4j.policy.quant.QuantConfig;
import rlhf4j.policy.quant.QuantizedWeight;

/**
 * Loads and saves HF model folders: {@code config.json} plus {@code model.safetensors} or a sharded
 * {@code model.safetensors.index.json}. Weights are converted to rlhf4j's layout at this edge
 * (GPT-2 Conv1D weights transposed to (out, in)) and back when saving, so save → load is bitwise.
 */
public final class HfCheckpoint {
  static {
    rlhf4j.policy.train.Engines.defaults(); // before libtorch loads: passive OpenMP wait policy
  }

  public static final String WEIGHTS = "model.safetensors";
  public static final String INDEX = "model.safetensors.index.json";

  private HfCheckpoint() {}

  /** Loads the model in {@code dir}. */
  public static CausalLM load(Path dir) {
    return load(dir, HfConfig.read(dir));
  }

  /** Loads the weights in {@code dir} into a model of {@code config}. */
  public static CausalLM load(Path dir, ModelConfig config) {
    return loadWithExtras(dir, config, List.of()).model();
  }

  /**
   * Loads the weights in {@code dir} and stores the base as {@code quant} says. Each weight is read
   * (fp32, fp16 or bf16 widened to fp32) and quantised at once, tensor by tensor, so the float32
   * model never exists in memory as a whole.
   */
  public static CausalLM load(Path dir, ModelConfig config, QuantConfig quant) {
    return loadWithExtras(dir, config, List.of(), quant).model();
  }

  /**
   * A backbone plus extra head tensors read from the same checkpoint.
   *
   * @param model the transformer (its manager also owns the extras)
   * @param extras the requested extra tensors by name, as stored (e.g. {@code score.weight})
   */
  public record Loaded(CausalLM model, Map<String, NDArray> extras) {}

  /**
   * Loads a transformer plus the named extra tensors (e.g. a sequence-classification head {@code
   * score.weight}); pass a config with {@code tieWordEmbeddings} true when the checkpoint has no LM
   * head. Each extra must exist; anything else unknown is still an error.
   */
  public static Loaded loadWithExtras(Path dir, ModelConfig config, List<String> extraNames) {
    return loadWithExtras(dir, config, extraNames, QuantConfig.FP32);
  }

  /** Like {@link #loadWithExtras(Path, ModelConfig, List)}, quantising the base on load. */
  public static Loaded loadWithExtras(
      Path dir, ModelConfig config, List<String> extraNames, QuantConfig quant) {
    CausalLM.requireFitsInMemory(config);
    Map<String, SafeTensors.Contents> byTensor = openWeights(dir);
    NDManager manager = NDManager.newBaseManager();
    try {
      Map<String, SafeTensors.Contents> backbone = new LinkedHashMap<>(byTensor);
      Map<String, NDArray> extras = new LinkedHashMap<>();
      for (String name : extraNames) {
        SafeTensors.Contents file = backbone.remove(name);
        if (file == null) {
          throw CheckpointException.of(dir, "has no tensor '" + name + "'");
        }
        extras.put(name, file.get(name).toNDArray(manager));
      }
      Map<String, QuantizedWeight> quantized = new LinkedHashMap<>();
      Map<String, NDArray> params =
          readParameters(config, backbone, manager, dir, quant, quantized);
      return new Loaded(new CausalLM(config, manager, params, quantized), extras);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /** Maps each tensor name to the (validated) file that holds it. */
  static Map<String, SafeTensors.Contents> openWeights(Path dir) {
    Path single = dir.resolve(WEIGHTS);
    Path index = dir.resolve(INDEX);
    Map<String, SafeTensors.Contents> byTensor = new LinkedHashMap<>();
    if (Files.isRegularFile(single)) {
      SafeTensors.Contents c = SafeTensors.read(single);
      c.tensors().keySet().forEach(k -> byTensor.put(k, c));
      return byTensor;
    }
    for (Path p : List.of(single, index)) {
      if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(p)) {
        throw CheckpointException.of(p, HfConfig.notARegularFile(p));
      }
    }
    if (!Files.isRegularFile(index)) {
      throw CheckpointException.of(
          dir,
          "has neither "
              + WEIGHTS
              + " nor "
              + INDEX
              + " (rlhf4j reads safetensors only; convert pytorch_model.bin with"
              + " transformers' save_pretrained(safe_serialization=True))");
    }
    JsonObject idx = HfConfig.parseObject(index);
    JsonElement map = idx.get("weight_map");
    if (map == null || !map.isJsonObject()) {
      throw CheckpointException.of(index, "has no weight_map object");
    }
    Map<String, SafeTensors.Contents> files = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : map.getAsJsonObject().entrySet()) {
      String shard = e.getValue().getAsString();
      Path shardPath = dir.resolve(shard).normalize();
      if (!shardPath.startsWith(dir.normalize()) || !Files.isRegularFile(shardPath)) {
        throw CheckpointException.of(
            index, "weight_map sends '" + e.getKey() + "' to missing shard '" + shard + "'");
      }
      SafeTensors.Contents c = files.computeIfAbsent(shard, s -> SafeTensors.read(shardPath));
      if (!c.tensors().containsKey(e.getKey())) {
        throw CheckpointException.of(
            shardPath, "has no tensor '" + e.getKey() + "' although " + INDEX + " says so");
      }
      byTensor.put(e.getKey(), c);
    }
    return byTensor;
  }

  private static Map<String, NDArray> readParameters(
      ModelConfig config,
      Map<String, SafeTensors.Contents> byTensor,
      NDManager manager,
      Path dir,
      QuantConfig quant,
      Map<String, QuantizedWeight> quantized) {
    Set<String> toQuantize = CausalLM.quantizableParameterNames(config, quant);
    String prefix = CausalLM.backbonePrefix(config);
    Predicate<String> ignored = CausalLM.ignoredCheckpointKeys(config);
    Set<String> unused = new LinkedHashSet<>(byTensor.keySet());
    List<String> missing = new ArrayList<>();
    Map<String, NDArray> params = new LinkedHashMap<>();
    for (ParamSpec spec : CausalLM.parameterSpecs(config)) {
      String key = spec.name();
      if (!byTensor.containsKey(key) && key.startsWith(prefix)) {
        String bare = key.substring(prefix.length()); // a bare *Model checkpoint (no head)
        if (byTensor.containsKey(bare)) {
          key = bare;
        }
      }
      SafeTensors.Contents file = byTensor.get(key);
      if (file == null) {
        missing.add(spec.name());
        continue;
      }
      unused.remove(key);
      TensorData t = file.get(key);
      if (!Arrays.equals(t.shape(), spec.hfShape())) {
        throw CheckpointException.of(
            file.file(),
            "tensor '"
                + key
                + "' has shape "
                + Arrays.toString(t.shape())
                + " but config.json ("
                + config.modelType()
                + ", hidden "
                + config.hiddenSize()
                + ", "
                + config.numLayers()
                + " layers, vocab "
                + config.vocabSize()
                + ") needs "
                + Arrays.toString(spec.hfShape())
                + ": the weights and config.json do not belong together");
      }
      NDArray a = t.toNDArray(manager);
      FiniteCheck.require(a, file.file(), key);
      if (spec.hfTransposed()) {
        NDArray contiguous = a.transpose().flatten().reshape(new Shape(spec.shape()));
        a.close();
        a = contiguous;
      }
      if (toQuantize.contains(spec.name())) {
        quantized.put(spec.name(), QuantizedWeight.quantize(a, quant));
        a.close();
      } else {
        params.put(spec.name(), a);
      }
    }
    if (!missing.isEmpty()) {
      params.values().forEach(NDArray::close);
      throw CheckpointException.of(
          dir,
          "is missing "
              + missing.size()
              + " tensor(s) a "
              + config.modelType()
              + " model of this config needs: "
              + abbreviate(missing));
    }
    if (config.tieWordEmbeddings()) {
      unused.remove("lm_head.weight"); // a tied head saved anyway
    }
    unused.removeIf(ignored);
    if (!unused.isEmpty()) {
      params.values().forEach(NDArray::close);
      throw CheckpointException.of(
          dir,
          "has "
              + unused.size()
              + " unexpected tensor(s) that a "
              + config.modelType()
              + " model of this config does not have: "
              + abbreviate(new ArrayList<>(new TreeSet<>(unused)))
              + " (check num_hidden_layers and the other sizes in config.json)");
    }
    return params;
  }

  private static String abbreviate(List<String> names) {
    return names.size() <= 8
        ? names.toString()
        : names.subList(0, 8) + " and " + (names.size() - 8) + " more";
  }

  /**
   * Writes {@code model} as an HF folder ({@code config.json}, {@code generation_config.json},
   * {@code model.safetensors}) that transformers and rlhf4j load back. A quantised base is written
   * dequantised to float32 (the values it computes with, not the original weights).
   */
  public static void save(CausalLM model, Path dir) throws IOException {
    save(model, dir, Map.of());
  }

  /**
   * Like {@link #save(CausalLM, Path)}, adding {@code extras} (e.g. {@code score.weight}) to the
   * weights file under their given names.
   */
  public static void save(CausalLM model, Path dir, Map<String, NDArray> extras)
      throws IOException {
    Files.createDirectories(dir);
    Map<String, NDArray> out = new LinkedHashMap<>(extras);
    List<NDArray> temporaries = new ArrayList<>();
    try {
      for (ParamSpec spec : model.specs()) {
        NDArray a = model.parameters().get(spec.name());
        QuantizedWeight q = model.quantizedWeights().get(spec.name());
        if (q != null) {
          a = q.dequantize();
          temporaries.add(a);
        }
        if (spec.hfTransposed()) {
          a = a.transpose().flatten().reshape(new Shape(spec.hfShape()));
          temporaries.add(a);
        }
        out.put(spec.name(), a);
      }
      SafeTensors.write(dir.resolve(WEIGHTS), out, Map.of("format", "pt"));
    } finally {
      temporaries.forEach(NDArray::close);
    }
    HfConfig.write(model.config(), dir);
  }
}
